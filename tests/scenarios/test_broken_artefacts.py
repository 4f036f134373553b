"""Broken artefacts: `faqbot serve` and `build` stop with one line naming the file and the fix,
and a running server keeps the version it loaded."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from faqbot.cli.commands import main
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.index.version import MANIFEST_FILE, PASSAGES_FILE, VECTORS_FILE, published_version
from faqbot.settings import Settings

from ..conftest import CORPUS, LiveServer

pytestmark = pytest.mark.slow


def _version_dir(index_dir: Path) -> Path:
    return index_dir / "versions" / published_version(index_dir)


def _missing_vectors(folder: Path) -> None:
    (folder / VECTORS_FILE).unlink()


def _truncated_vectors(folder: Path) -> None:
    path = folder / VECTORS_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _corrupt_vectors(folder: Path) -> None:
    (folder / VECTORS_FILE).write_bytes(b"\x00garbage" * 100)


def _passage_missing(folder: Path) -> None:
    path = folder / PASSAGES_FILE
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))


def _passages_damaged(folder: Path) -> None:
    with (folder / PASSAGES_FILE).open("a") as out:
        out.write('{"id": "half a line\n')


def _other_model(folder: Path) -> None:
    path = folder / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "model": "some-other-model"}))


def _manifest_not_json(folder: Path) -> None:
    (folder / MANIFEST_FILE).write_text("{not json")


BREAKAGES: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("missing FAISS file", _missing_vectors, VECTORS_FILE, "missing"),
    ("truncated FAISS file", _truncated_vectors, VECTORS_FILE, "truncated"),
    ("corrupt FAISS file", _corrupt_vectors, VECTORS_FILE, "unreadable"),
    ("passages.jsonl one short", _passage_missing, PASSAGES_FILE, "passages"),
    ("passages.jsonl damaged", _passages_damaged, PASSAGES_FILE, "damaged"),
    ("manifest for another model", _other_model, MANIFEST_FILE, "some-other-model"),
    ("manifest not JSON", _manifest_not_json, MANIFEST_FILE, "not a valid manifest"),
]


@pytest.fixture
def index_copy(real_index_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(real_index_dir, target)
    return target


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize(
    ("name", "breakage", "filename", "words"), BREAKAGES, ids=[b[0] for b in BREAKAGES]
)
def test_serve_refuses_a_broken_index_with_one_line_naming_file_and_fix(
    index_copy: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    breakage: Callable[[Path], None],
    filename: str,
    words: str,
) -> None:
    breakage(_version_dir(index_copy))
    assert main(["serve", "--index", str(index_copy), "--corpus", str(CORPUS)]) == 1
    line = _one_line(capsys)
    assert line.startswith("faqbot: ")
    assert filename in line and words in line
    assert "faqbot build" in line or "FAQBOT_MODEL" in line


def test_serve_refuses_a_pointer_to_a_missing_version(
    index_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(_version_dir(index_copy))
    assert main(["serve", "--index", str(index_copy)]) == 1
    line = _one_line(capsys)
    assert "current" in line and "faqbot build" in line


@pytest.mark.parametrize("command", ["serve", "build"])
def test_missing_or_broken_model_package_is_one_line(
    index_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    from faqbot.settings import get_settings

    for model, words in [("no-such-model-package", "make install"), (str(tmp_path), str(tmp_path))]:
        monkeypatch.setenv("FAQBOT_MODEL", model)
        get_settings.cache_clear()
        try:
            _point_manifest_at(index_copy, model)
            assert main([command, "--index", str(index_copy), "--corpus", str(CORPUS)]) == 1
        finally:
            get_settings.cache_clear()
        line = _one_line(capsys)
        assert words in line and "FAQBOT_MODEL" in line


def _point_manifest_at(index_dir: Path, model: str) -> None:
    """So that serve gets past the manifest check to the model itself."""
    path = _version_dir(index_dir) / MANIFEST_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), "model": model}))


def test_the_console_command_prints_one_line_and_no_traceback(index_copy: Path) -> None:
    _truncated_vectors(_version_dir(index_copy))
    result = subprocess.run(
        [sys.executable, "-m", "faqbot.cli", "serve", "--index", str(index_copy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and VECTORS_FILE in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_running_server_keeps_its_loaded_version_when_files_break(
    index_copy: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    settings = Settings(corpus_dir=CORPUS, index_dir=index_copy, rate_limit_per_minute=0)
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        before = httpx.get(f"{server.url}/healthz").json()["index_version"]
        # Broken by replacement (a new file where the old one was). The vectors are
        # memory-mapped, so truncating vectors.faiss *in place* under a running server is outside
        # what any process can survive (SIGBUS); published version folders are never rewritten.
        folder = _version_dir(index_copy)
        (folder / VECTORS_FILE).unlink()
        (folder / VECTORS_FILE).write_bytes(b"\x00garbage" * 100)
        _passage_missing(folder)
        (folder / MANIFEST_FILE).unlink()
        response = httpx.post(
            f"{server.url}/ask", json={"question": "How long does each infusion session take?"}
        )
        assert response.status_code == 200
        assert response.json()["status"] == "answered"
        assert response.json()["index_version"] == before
