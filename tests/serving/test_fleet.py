"""The folder the workers of `faqbot serve --workers N` share, seen from one real server: a
worker that does not answer a reload request is reported, and one that is gone is not waited
on. Fast: fake embedder, real uvicorn, real processes standing in for the other workers."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faqbot.http.app import create_app
from faqbot.publishing.build import build_index
from faqbot.serving import fleet
from faqbot.serving.fleet import WorkerBoard, WorkerStatus, status_path

from ..conftest import FakeEmbedder, LiveServer, edit_article
from ..serving.test_reload import TOKEN, _settings

AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    folder = tmp_path / "workers"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def server(tmp_path: Path, corpus_copy: Path, runtime: Path) -> Iterator[LiveServer]:
    """One worker of a fleet: this test process, with the shared folder configured."""
    index = tmp_path / "index"
    build_index(corpus_copy, index, FakeEmbedder())
    settings = _settings(
        corpus_copy, index, admin_token=TOKEN, reload_interval=0, worker_runtime_dir=runtime
    )
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as live:
        yield live


def _stand_in(runtime: Path, pid: int) -> None:
    """A status file for another worker that has answered no request yet."""
    status = WorkerStatus(pid, "some-version", "loaded", "", None, handled=0.0)
    WorkerBoard(runtime, pid=pid).post(status)


def test_a_worker_that_does_not_answer_is_reported_not_dropped(
    server: LiveServer, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet, "ANSWER_TIMEOUT_S", 1.0)
    with subprocess.Popen(["sleep", "60"]) as stuck:  # alive, but never looks at the folder
        _stand_in(runtime, stuck.pid)
        started = time.monotonic()
        reply = httpx.post(f"{server.url}/admin/reload", headers=AUTH, timeout=30)
        stuck.kill()
    assert 1.0 <= time.monotonic() - started < 10
    assert reply.status_code == 504, reply.text
    error = reply.json()["error"]
    assert error["code"] == "reload_incomplete"
    assert f"Worker {stuck.pid} did not answer within 1 s" in error["message"]


def test_the_status_file_of_a_worker_that_is_gone_is_not_waited_on(
    server: LiveServer, runtime: Path
) -> None:
    with subprocess.Popen(["true"]) as finished:
        pass
    _stand_in(runtime, finished.pid)
    started = time.monotonic()
    reply = httpx.post(f"{server.url}/admin/reload", headers=AUTH, timeout=60)
    assert time.monotonic() - started < fleet.ANSWER_TIMEOUT_S / 2
    assert reply.status_code == 200, reply.text
    assert [w["pid"] for w in reply.json()["workers"]] == [os.getpid()]
    assert not status_path(runtime, finished.pid).exists()  # cleared by whoever saw it


def test_a_worker_leaves_the_folder_when_it_stops(
    tmp_path: Path, corpus_copy: Path, runtime: Path
) -> None:
    index = tmp_path / "index"
    build_index(corpus_copy, index, FakeEmbedder())
    settings = _settings(corpus_copy, index, reload_interval=0, worker_runtime_dir=runtime)
    with LiveServer(create_app(settings, embedder=FakeEmbedder())):
        assert status_path(runtime, os.getpid()).exists()
    assert list(runtime.iterdir()) == []


def test_no_worker_reloads_when_the_others_cannot_be_asked(
    server: LiveServer, runtime: Path, corpus_copy: Path, tmp_path: Path
) -> None:
    # Reloading this worker alone would leave the workers on different versions unannounced.
    before = httpx.get(f"{server.url}/healthz").json()["index_version"]
    edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
    build_index(corpus_copy, tmp_path / "index", FakeEmbedder())
    shutil.rmtree(runtime)
    reply = httpx.post(f"{server.url}/admin/reload", headers=AUTH, timeout=30)
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "reload_unavailable"
    assert httpx.get(f"{server.url}/healthz").json()["index_version"] == before
