"""Killing `faqbot build` mid-build leaves the published version serving, and the next build
succeeds (the lock is released by the kernel, leftovers are cleaned up)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.index.history import list_versions
from faqbot.index.version import load_published, published_version
from faqbot.publishing.build import build_index

from ..conftest import REPO

pytestmark = pytest.mark.slow

ARTICLE = "ketamine-infusions.md"


def start_build(corpus: Path, index: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faqbot.cli",
            "build",
            "--no-cache",  # embed every passage, so the build is mid-embedding for a while
            "--no-gate",
            "--corpus",
            str(corpus),
            "--index",
            str(index),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_embedding(build: subprocess.Popen[str]) -> None:
    """Block until the build prints its progress bar (the model is loaded, vectors coming)."""
    assert build.stderr is not None
    seen = ""
    deadline = time.monotonic() + 240
    while "embedding" not in seen:
        assert time.monotonic() < deadline and build.poll() is None, seen
        seen += build.stderr.read(1)


# SIGKILL is the hard case (no cleanup at all); SIGTERM and SIGINT pass too but each run loads
# the model in a new process, so the suite keeps one.
@pytest.mark.parametrize("how", [signal.SIGKILL])
def test_killed_build_leaves_the_published_version_and_the_next_build_succeeds(
    how: signal.Signals,
    corpus_copy: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    index = tmp_path / "index"
    good = build_index(corpus_copy, index, real_embedder).manifest.version
    article = corpus_copy / ARTICLE
    article.write_text(
        article.read_text("utf-8").replace("45 minutes to an hour", "50 minutes to an hour")
    )
    build = start_build(corpus_copy, index)
    wait_for_embedding(build)
    if how != signal.SIGKILL:
        time.sleep(0.3)  # a little further in
    build.send_signal(how)
    build.wait(timeout=60)
    assert build.returncode != 0
    assert published_version(index) == good
    served = load_published(index, real_embedder.model_name, real_embedder.dimension)
    assert served.version == good and any("45 minutes" in p.text for p in served.passages)
    assert [v.version for v in list_versions(index)] == [good]

    report = build_index(corpus_copy, index, real_embedder, keep=5)
    assert report.published and published_version(index) == report.manifest.version
    assert not list((index / "versions").glob(".building-*"))
    served = load_published(index, real_embedder.model_name)
    assert any("50 minutes" in p.text for p in served.passages)
