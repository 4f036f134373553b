"""Hot reload: the watcher and POST /admin/reload swap in a newly published version whole;
a corrupt version is refused and the old one keeps serving. Fast: fake embedder, real uvicorn."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from faqbot.http.app import create_app
from faqbot.index.version import (
    PASSAGES_FILE,
    VECTORS_FILE,
    VERSIONS_DIR,
    publish,
    published_version,
)
from faqbot.publishing.build import build_index
from faqbot.serving.reload import RETRY_BACKOFF_MAX
from faqbot.settings import Settings

from ..conftest import FakeEmbedder, LiveServer, edit_article

TOKEN = "s3cret-admin-token"
ARTICLE = "ketamine-infusions.md"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def _settings(corpus: Path, index: Path, **extra: object) -> Settings:
    return Settings(
        corpus_dir=corpus,
        index_dir=index,
        answer_threshold=0.3,
        related_threshold=0.2,
        crisis_meaning=False,  # the fake embedder has no crisis calibration (crisis.json)
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def index_dir(tmp_path: Path, corpus_copy: Path) -> Path:
    index = tmp_path / "index"
    build_index(corpus_copy, index, FakeEmbedder())
    return index


@pytest.fixture
def server(corpus_copy: Path, index_dir: Path) -> Iterator[LiveServer]:
    settings = _settings(corpus_copy, index_dir, admin_token=TOKEN, reload_interval=0)
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as live:
        yield live


def _version(url: str) -> str:
    body = httpx.get(f"{url}/healthz").json()
    return str(body["index_version"])


def test_admin_reload_does_not_exist_without_a_token(corpus_copy: Path, index_dir: Path) -> None:
    settings = _settings(corpus_copy, index_dir, reload_interval=0)
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as live:
        reply = httpx.post(f"{live.url}/admin/reload", headers={"authorization": "Bearer x"})
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"


def test_admin_reload_wants_the_right_bearer_token(server: LiveServer) -> None:
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}):
        reply = httpx.post(f"{server.url}/admin/reload", headers=headers)
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthorized"
        assert reply.headers["www-authenticate"] == "Bearer"


def test_admin_reload_swaps_in_the_published_version(
    server: LiveServer, corpus_copy: Path, index_dir: Path
) -> None:
    before = _version(server.url)
    auth = {"authorization": f"Bearer {TOKEN}"}
    assert httpx.post(f"{server.url}/admin/reload", headers=auth).json()["status"] == "unchanged"
    edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
    after = build_index(corpus_copy, index_dir, FakeEmbedder()).manifest.version
    assert _version(server.url) == before  # watcher off: nothing changes by itself
    reply = httpx.post(f"{server.url}/admin/reload", headers=auth).json()
    alone = {"pid": os.getpid(), "index_version": after, "status": "reloaded", "message": ""}
    assert reply == {
        "status": "reloaded",
        "index_version": after,
        "previous_version": before,
        "workers": [alone],  # one process: the list names just itself
    }
    answer = httpx.post(
        f"{server.url}/ask",
        json={"question": "Each session lasts about how many minutes to an hour?"},
    )
    assert answer.json()["index_version"] == after
    assert any("50 minutes" in p["text"] for p in answer.json()["passages"])


def test_corrupt_version_is_refused_and_the_old_one_keeps_serving(
    server: LiveServer, corpus_copy: Path, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = _version(server.url)
    edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
    bad = build_index(corpus_copy, index_dir, FakeEmbedder()).manifest.version
    (index_dir / VERSIONS_DIR / bad / VECTORS_FILE).write_bytes(b"truncated")
    caplog.set_level(logging.ERROR, logger="faqbot.reload")
    reply = httpx.post(f"{server.url}/admin/reload", headers={"authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "reload_refused"
    assert f"refused index version {bad}" in caplog.text
    assert _version(server.url) == before
    answer = httpx.post(
        f"{server.url}/ask",
        json={"question": "Each session lasts about how many minutes to an hour?"},
    )
    assert answer.status_code == 200 and answer.json()["index_version"] == before


def test_watcher_picks_up_a_new_version_and_skips_a_mismatched_one(
    corpus_copy: Path, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="faqbot.reload")
    settings = _settings(corpus_copy, index_dir, reload_interval=0.1)
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as live:
        first = _version(live.url)
        edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
        second = build_index(corpus_copy, index_dir, FakeEmbedder()).manifest.version
        wait_for(lambda: _version(live.url) == second)
        # a version built for another model is refused, and the server stays on `second`
        other = FakeEmbedder()
        other.model_name = "another-model"  # type: ignore[misc]
        edit_article(corpus_copy, "50 minutes to an hour", "55 minutes to an hour")
        foreign = build_index(corpus_copy, index_dir, other).manifest.version
        wait_for(lambda: f"refused index version {foreign}" in caplog.text)
        assert _version(live.url) == second
        publish(index_dir, first)  # a rollback is picked up like any publish
        wait_for(lambda: _version(live.url) == first)
        assert published_version(index_dir) == first


def test_healthz_reports_stale_articles(corpus_copy: Path, tmp_path: Path) -> None:
    edit_article(corpus_copy, "review_by: 2027-11-20", "review_by: 2026-11-21")
    index = tmp_path / "stale-index"
    build_index(corpus_copy, index, FakeEmbedder())
    settings = _settings(corpus_copy, index, reload_interval=0)
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as live:
        body = httpx.get(f"{live.url}/healthz").json()
    assert body["stale_articles"] == ["ketamine-infusions"]


def _published_but_not_served(corpus: Path, index: Path) -> tuple[str, str]:
    """Two built versions with the first one published: (first, second)."""
    first = build_index(corpus, index, FakeEmbedder()).manifest.version
    edit_article(corpus, "45 minutes to an hour", "50 minutes to an hour")
    second = build_index(corpus, index, FakeEmbedder()).manifest.version
    publish(index, first)
    return first, second


def _refusals(caplog: pytest.LogCaptureFixture, version: str) -> int:
    return sum(
        1
        for r in caplog.records
        if r.levelno >= logging.ERROR and f"refused index version {version}" in r.getMessage()
    )


@pytest.mark.parametrize("broken", ["passages.jsonl", "safety.yaml"])
def test_watcher_serves_a_refused_version_once_its_files_are_fixed(
    broken: str, corpus_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A damaged passages file or safety-rules copy in the version: the watcher refuses the
    # version, and serves it soon after the file is put right, no restart.
    index = tmp_path / "index"
    first, second = _published_but_not_served(corpus_copy, index)
    damaged = index / VERSIONS_DIR / second / broken
    good = damaged.read_bytes()
    caplog.set_level(logging.INFO, logger="faqbot.reload")
    settings = _settings(corpus_copy, index, reload_interval=0.2)
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as live:
        assert _version(live.url) == first
        damaged.write_bytes(good.replace(b"\n", b"\n{ not: [valid\n", 1))
        publish(index, second)
        wait_for(lambda: _refusals(caplog, second) == 1)
        time.sleep(1.0)  # five intervals: it keeps refusing, and says so once
        assert _version(live.url) == first and _refusals(caplog, second) == 1
        damaged.write_bytes(good)
        fixed = time.monotonic()
        wait_for(lambda: _version(live.url) == second)
        assert time.monotonic() - fixed < 2.0  # a few intervals, not a restart


def test_watcher_retries_a_refused_version_even_when_no_file_it_watches_changed(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cause the file fingerprint cannot see (here: the fingerprint is blinded) still clears:
    # the watcher tries the version again after a bounded back-off.
    monkeypatch.setattr("faqbot.serving.reload.fingerprint", lambda *paths: ())
    index = tmp_path / "index"
    first, second = _published_but_not_served(corpus_copy, index)
    passages = index / VERSIONS_DIR / second / PASSAGES_FILE
    good = passages.read_bytes()
    settings = _settings(corpus_copy, index, reload_interval=0.1)
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as live:
        passages.write_bytes(b"damaged\n")
        publish(index, second)
        time.sleep(0.5)
        assert _version(live.url) == first
        passages.write_bytes(good)
        wait_for(lambda: _version(live.url) == second, timeout=RETRY_BACKOFF_MAX * 0.1 + 5)
