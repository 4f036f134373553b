"""Reloads and refused reloads show in /metrics, and the index info follows the new version."""

from __future__ import annotations

from pathlib import Path

import httpx

from faqbot.http.app import create_app
from faqbot.index.version import VECTORS_FILE, VERSIONS_DIR
from faqbot.publishing.build import build_index

from ..conftest import FakeEmbedder, LiveServer, edit_article
from ..operations.test_metrics import value
from ..serving.test_reload import TOKEN, _settings


def test_reloads_and_refusals_are_counted(tmp_path: Path, corpus_copy: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, FakeEmbedder())
    settings = _settings(
        corpus_copy, index_dir, admin_token=TOKEN, reload_interval=0, feedback_db=tmp_path / "f.db"
    )
    auth = {"authorization": f"Bearer {TOKEN}"}
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as server:
        before = httpx.get(f"{server.url}/metrics").text
        edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
        good = build_index(corpus_copy, index_dir, FakeEmbedder()).manifest.version
        assert httpx.post(f"{server.url}/admin/reload", headers=auth).status_code == 200
        edit_article(corpus_copy, "50 minutes to an hour", "55 minutes to an hour")
        bad = build_index(corpus_copy, index_dir, FakeEmbedder()).manifest.version
        (index_dir / VERSIONS_DIR / bad / VECTORS_FILE).write_bytes(b"truncated")
        assert httpx.post(f"{server.url}/admin/reload", headers=auth).status_code == 409
        after = httpx.get(f"{server.url}/metrics").text
    for result in ("ok", "refused"):
        grown = value(after, "faqbot_reloads_total", result=result) - value(
            before, "faqbot_reloads_total", result=result
        )
        assert grown == 1, result
    assert value(after, "faqbot_index_info", index_version=good) == 1
    assert value(after, "faqbot_index_info", index_version=bad) == 0
