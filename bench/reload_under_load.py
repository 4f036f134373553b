"""Reload under load, the long form: 16 clients ask over loopback for about 60 s while 10 new
index versions are built, published and reloaded (watcher and POST /admin/reload alternately).

Counts failed requests (target 0) and responses that mix versions (passages not all from the
version the response names; target 0), and records latency percentiles. The in-suite test
(tests/scenarios/test_reload_under_load.py) is the short, bounded form of the same thing.
Figures go to bench/results/reload_under_load.json.
Run: .venv/bin/python bench/reload_under_load.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.conftest.LiveServer (a real uvicorn in a thread)
RESULTS = REPO / "bench" / "results" / "reload_under_load.json"
CLIENTS = 16
CYCLES = 10
TOKEN = "bench-token"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from faqbot.embedding.encoder import SentenceTransformerEmbedder
    from faqbot.http.app import create_app
    from faqbot.publishing.build import build_index
    from faqbot.settings import DEFAULT_MODEL, Settings
    from tests.conftest import LiveServer
    from tests.scenarios.reload_clients import Tally, mixed_versions, revise, start_clients

    work = Path(tempfile.mkdtemp(prefix="faqbot-bench-reload-"))
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(REPO / "corpus", corpus)
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    versions = [build_index(corpus, index, embedder).manifest.version]
    settings = Settings(  # 16 loopback clients stand for 16 visitors: no per-address limit
        corpus_dir=corpus,
        index_dir=index,
        reload_interval=0.2,
        admin_token=TOKEN,
        rate_limit_per_minute=0,
    )
    article = corpus / "ketamine-infusions.md"

    tally, stop = Tally(), threading.Event()
    reload_seconds: list[float] = []
    with LiveServer(create_app(settings, embedder=embedder)) as server:
        started = time.perf_counter()
        threads = start_clients(server.url, CLIENTS, stop, tally)
        for cycle in range(1, CYCLES + 1):
            # spread the cycles over the run
            time.sleep(
                max(0.0, started + cycle * args.seconds / (CYCLES + 1) - time.perf_counter())
            )
            revise(article, cycle)
            version = build_index(corpus, index, embedder).manifest.version
            published = time.perf_counter()
            versions.append(version)
            if cycle % 2 == 0:
                httpx.post(
                    f"{server.url}/admin/reload",
                    headers={"authorization": f"Bearer {TOKEN}"},
                    timeout=60,
                ).raise_for_status()
            while httpx.get(f"{server.url}/healthz", timeout=60).json()["index_version"] != version:
                time.sleep(0.02)
            reload_seconds.append(time.perf_counter() - published)
        time.sleep(max(0.0, started + args.seconds - time.perf_counter()))
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        seconds = time.perf_counter() - started

    mixed = len(mixed_versions(tally.seen, index, versions))
    latencies = sorted(tally.latencies)
    figures = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "clients": CLIENTS,
        "cycles": CYCLES,
        "seconds": round(seconds, 1),
        "requests_ok": tally.ok,
        "requests_failed": len(tally.failures),
        "failures_sample": tally.failures[:5],
        "mixed_version_responses": mixed,
        "versions_served": len({v for v, _ in tally.seen}),
        "requests_per_s": round(tally.ok / seconds, 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "latency_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "latency_max_ms": round(latencies[-1] * 1000, 1),
        "publish_to_serving_s_max": round(max(reload_seconds), 2),
        "publish_to_serving_s_median": round(statistics.median(reload_seconds), 2),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if not tally.failures and not mixed else 1


if __name__ == "__main__":
    sys.exit(main())
