"""What hybrid retrieval + the scope guard cost on /ask: p50 of the foundation's dense-only
pipeline and of the hybrid one, measured in one run.

Builds the bundled corpus once into a temporary index, then serves it through two apps that
share one loaded model — one with FAQBOT_FUSION=dense and the scope guard off (the foundation's
behaviour), one with the production settings (BM25 fused with dense, scope guard on) — and asks
both the dev questions in alternation, one request at a time, over HTTP (in-process ASGI
client), so drift hits both alike. The query-embedding cache is off in both. Target (issue 4):
p50 ratio hybrid/dense ≤ 1.5.

    .venv/bin/python -m bench.quality_latency [--rounds 5] [--max-ratio 1.5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.publishing.build import build_index
from faqbot.settings import DEFAULT_MODEL, Settings

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "tests" / "data" / "dev_questions.jsonl"
CORPUS = REPO / "corpus"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    with tempfile.TemporaryDirectory(prefix="faqbot-quality-bench-") as scratch:
        index = Path(scratch) / "index"
        build_index(CORPUS, index, embedder)
        common = {
            "corpus_dir": CORPUS,
            "index_dir": index,
            "query_cache_size": 0,
            "feedback": False,
            "metrics": False,
            "rate_limit_per_minute": 0,
        }
        configs = {
            "dense (foundation)": Settings(
                **common,
                fusion="dense",
                scope_limit=None,
                spelling_repair=False,
                glossary=False,
                alternate_questions=False,
            ),
            "hybrid (production)": Settings(**common),
        }
        timings: dict[str, list[float]] = {name: [] for name in configs}
        clients = {
            name: TestClient(create_app(s, embedder=embedder)) for name, s in configs.items()
        }
        for client in clients.values():
            client.__enter__()
            client.post("/ask", json={"question": "warm up"})
        try:
            for _ in range(args.rounds):
                for question in questions:
                    for name, client in clients.items():
                        started = time.perf_counter()
                        response = client.post("/ask", json={"question": question})
                        timings[name].append(time.perf_counter() - started)
                        response.raise_for_status()
        finally:
            for client in clients.values():
                client.__exit__(None, None, None)
    p50 = {name: statistics.median(t) * 1000 for name, t in timings.items()}
    ratio = p50["hybrid (production)"] / p50["dense (foundation)"]
    result = {
        "p50_ms": {k: round(v, 2) for k, v in p50.items()},
        "ratio": round(ratio, 3),
        "max_ratio": args.max_ratio,
        "requests_each": len(questions) * args.rounds,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, value in p50.items():
            print(f"{name:>22}: p50 {value:.2f} ms")
        print(f"ratio hybrid/dense: {ratio:.3f} (target ≤ {args.max_ratio})")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
