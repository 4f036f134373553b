"""The editor's day, end to end with the real model and a real uvicorn server: change a
sentence and a safety rule, check, build (no --force: the dev question that expected the old
wording is stale, not a regression), the server answers with the new sentence and never the
old; deleting an emergency rule is refused; break the front matter, the build fails with
file:line and the server keeps the last good version; roll back and the earlier wording and
the earlier safety rules are served again."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.publishing.build import build_index
from faqbot.settings import Settings

from ..conftest import REPO, LiveServer

pytestmark = pytest.mark.slow

ARTICLE = "ketamine-infusions.md"
QUESTION = "How long is each ketamine session?"
OLD = "Each session lasts about 45 minutes to an hour"
NEW = "Each session lasts about 50 minutes to an hour"
RULE_QUESTION = "there is a purple elephant in the waiting room"
NEW_RULE = """emergency:
  - id: purple-elephant
    description: A made-up phrase, only to tell two versions' safety rules apart.
    patterns:
      - 'purple elephant'
"""


def faqbot(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, as an editor runs it (from the repository folder)."""
    return subprocess.run(
        [sys.executable, "-m", "faqbot.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_an_editors_day(
    corpus_copy: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    index = tmp_path / "index"
    first = build_index(corpus_copy, index, real_embedder).manifest.version
    settings = Settings(corpus_dir=corpus_copy, index_dir=index, reload_interval=0.2)
    dirs = ["--corpus", str(corpus_copy), "--index", str(index)]
    article = corpus_copy / ARTICLE
    safety = corpus_copy / "safety.yaml"
    old_rules = safety.read_text("utf-8")

    with LiveServer(create_app(settings, embedder=real_embedder)) as server:

        def ask(question: str = QUESTION) -> dict[str, object]:
            reply = httpx.post(f"{server.url}/ask", json={"question": question}, timeout=30)
            assert reply.status_code == 200
            body: dict[str, object] = reply.json()
            return body

        def texts(body: dict[str, object]) -> str:
            return " ".join(p["text"] for p in body["passages"])  # type: ignore[attr-defined, index]

        def version() -> str:
            return str(httpx.get(f"{server.url}/healthz", timeout=30).json()["index_version"])

        assert OLD in texts(ask()) and ask(RULE_QUESTION)["status"] != "emergency"

        # 1. "45 minutes" becomes "50 minutes" and a rule is added: the build publishes without
        # --force, naming d008 (which expects the old wording) as stale, and the server
        # switches to the new wording and the new rule.
        article.write_text(article.read_text("utf-8").replace(OLD, NEW), encoding="utf-8")
        safety.write_text(old_rules.replace("emergency:\n", NEW_RULE, 1), encoding="utf-8")
        checked = faqbot("check", str(corpus_copy))
        assert checked.returncode == 0, checked.stdout
        built = faqbot("build", *dirs)
        assert built.returncode == 0, built.stderr
        assert "stale: d008 (tests/data/dev_questions.jsonl:9)" in built.stdout, built.stdout
        second = built.stdout.split("built and published ")[1].split(":")[0]
        wait_for(lambda: version() == second)
        for _ in range(3):
            body = ask()
            assert body["index_version"] == second
            assert NEW in texts(body) and OLD not in texts(body)
        assert ask(RULE_QUESTION)["status"] == "emergency"

        # 2. deleting the suicidal-thoughts rule is refused, naming it and what it caught
        good_rules = safety.read_text("utf-8")
        start = good_rules.index("  - id: suicidal-thoughts\n")
        end = good_rules.index("  - id: ", start + 1)
        safety.write_text(good_rules[:start] + good_rules[end:], encoding="utf-8")
        weakened = faqbot("build", *dirs)
        assert weakened.returncode == 1
        assert "emergency rule 'suicidal-thoughts' removed in safety.yaml; it caught d" in (
            weakened.stdout
        ), weakened.stdout
        assert "NOT published" in weakened.stderr and "--force" in weakened.stderr
        safety.write_text(good_rules, encoding="utf-8")
        assert version() == second

        # 3. break the front matter: build fails with file:line, the server keeps serving
        good = article.read_text("utf-8")
        article.write_text(good.replace("approved_on: 2026-11-20", "approved_on: 20/11/2026"))
        broken = faqbot("build", *dirs)
        assert broken.returncode == 1
        assert f"{article}:6: error: 'approved_on' must be a date" in broken.stderr
        checked = faqbot("check", str(corpus_copy))
        assert checked.returncode == 1 and f"{article}:6: error:" in checked.stdout
        body = ask()
        assert body["index_version"] == second and NEW in texts(body)

        # 4. roll back: the earlier wording *and* the earlier safety rules are served again
        rolled = faqbot("rollback", *dirs)
        assert rolled.returncode == 0, rolled.stderr
        assert f"published {first} (was {second})" in rolled.stdout
        wait_for(lambda: version() == first)
        body = ask()
        assert body["index_version"] == first
        assert OLD in texts(body) and NEW not in texts(body)
        assert ask(RULE_QUESTION)["status"] != "emergency"
        listed = faqbot("versions", *dirs).stdout.splitlines()
        assert listed[0].startswith(f"  {second}") and listed[1].startswith(f"* {first}")
