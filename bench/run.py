"""`make bench`: every figure beside its reference from the same run, as a ratio.

Order: MedQuAD build vs raw encode (its index is then served), index search at scale, encoder
floor and in-process /ask with breakdown and cache, the ONNX Runtime backend against torch,
HTTP load on one and two workers with memory. Writes bench/results/<date>.json and .md. `--quick` runs tiny settings to smoke-test
the harness (results get a -quick suffix and are not meant to be committed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faqbot.embedding.encoder import SentenceTransformerEmbedder, encoder_threads
from faqbot.serving.state import load_state
from faqbot.settings import DEFAULT_MODEL, Settings

from . import build_throughput, http_load, index_scale, inprocess, onnx_backend
from .common import (
    CORPUS,
    DEV_QUESTIONS,
    REPO,
    BenchConfig,
    cpu_hogs,
    dev_questions,
    machine,
    medquad_passages,
    medquad_queries,
)
from .report import markdown, targets

RESULTS = REPO / "bench" / "results"
# The ONNX section (about a minute) runs before HTTP, so it is measured on every ordinary run;
# past this (a very slow or busy machine) it is skipped rather than overrunning `make bench`.
TIME_BUDGET_S = 12 * 60
# The raw encode of MedQuAD stops here on a slow or busy machine (the build then covers the
# same passages), so that encode + build take at most about a third of the bench.
RAW_ENCODE_BUDGET_S = 150


def in_request_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run timings in a worker thread, as FastAPI runs /ask: torch behaves very differently
    there than on the main thread when the cores are contended (measured on this machine:
    one forward pass ~50 ms in a pool thread vs ~1.5 s on the main thread under load)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def _flat(vectors: Any) -> Any:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index


def _dev_accuracy(workdir: Path, reference: Any) -> Any:
    """A function scoring faqbot's dev questions with a given query encoder, against the
    bundled corpus indexed once with the reference (torch) encoder."""
    from faqbot.answering.answerer import Answerer
    from faqbot.corpus.articles import load_articles
    from faqbot.publishing.build import build_index
    from faqbot.publishing.evaluation import evaluate, load_questions

    index_dir = workdir / "product-index"
    build_index(CORPUS, index_dir, reference)
    questions = load_questions(DEV_QUESTIONS)
    bodies = {a.id: a.body for a in load_articles(CORPUS)}
    settings = Settings(corpus_dir=CORPUS, index_dir=index_dir)

    def accuracy(encoder: Any) -> float:
        state = load_state(settings, index_dir, encoder)
        answerer = Answerer(encoder, state, settings.candidates)
        return round(evaluate(answerer.ask, questions, bodies).accuracy, 4)

    return accuracy


def _passages(index_dir: Path) -> int:
    from faqbot.index.version import VERSIONS_DIR, published_version, read_manifest

    return read_manifest(index_dir / VERSIONS_DIR / published_version(index_dir)).passage_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny settings: harness smoke test")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--medquad-passages",
        type=int,
        help="use only the first N MedQuAD passages (default: all; --quick: 600)",
    )
    parser.add_argument(
        "--served",
        type=Path,
        help="serve this whole MedQuAD build in the in-process, HTTP and memory sections: the "
        "folder (corpus/ + index/) that `bench/incremental_build.py --keep DIR` leaves (the "
        "build section's own sample is capped by time; this is the full 16k corpus)",
    )
    parser.add_argument("--skip-http", action="store_true", help="leave out the HTTP section")
    parser.add_argument("--skip-scale", action="store_true", help="leave out index scale")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="faqbot-bench-"))
    config = BenchConfig.tiny(workdir) if args.quick else BenchConfig.full(workdir)
    if args.medquad_passages:
        config = dataclasses.replace(config, medquad_passages=args.medquad_passages)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "model": DEFAULT_MODEL,
        "quick": config.quick,
        "noise": {},
        "section_seconds": {},
    }

    def section(name: str) -> float:
        results["noise"][name] = {"other_processes_busy": cpu_hogs()}
        print(f"[bench] {name} …", flush=True)
        return time.perf_counter()

    def done(name: str, since: float) -> None:
        results["section_seconds"][name] = round(time.perf_counter() - since, 1)

    try:
        threads = encoder_threads(0, workers=1)
        embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, threads=threads)
        results["encoder_threads_in_process"] = threads

        t = section("build")
        rows = medquad_passages(config.medquad_passages)
        figures, corpus, index, vectors, medquad_ids = build_throughput.run(
            rows, workdir, embedder, RAW_ENCODE_BUDGET_S
        )
        results["build"] = figures
        done("build", t)
        if args.served is not None:
            corpus, index = args.served / "corpus", args.served / "index"
            results["served"] = {"corpus": str(args.served), "passages": _passages(index)}

        if not args.skip_scale:  # FAISS only: before the encoder-heavy sections
            t = section("index_scale")
            queries = embedder.encode(medquad_queries(config.scale_queries))
            results["index_scale"] = index_scale.run(vectors, queries, config.scale_sizes)
            done("index_scale", t)

        t = section("inprocess")
        settings = Settings(corpus_dir=corpus, index_dir=index)
        state = load_state(settings, index, embedder)
        results["inprocess"] = in_request_thread(
            inprocess.run, config, embedder, state, settings.candidates
        )
        done("inprocess", t)

        if time.perf_counter() - started > TIME_BUDGET_S:
            results["onnx"] = {"skipped": f"time budget of {TIME_BUDGET_S} s used up"}
        elif (why_not := onnx_backend.available()) is not None:
            results["onnx"] = {"skipped": why_not}
        else:
            t = section("onnx")
            results["onnx"] = in_request_thread(
                onnx_backend.run,
                DEFAULT_MODEL,
                embedder,
                threads,
                workdir,
                _dev_accuracy(workdir, embedder),
                dev_questions(),
                (_flat(vectors), medquad_ids),
                config.scale_queries,
                (state, settings.candidates),
            )
            done("onnx", t)

        if not args.skip_http:
            t = section("http")
            if not http_load.wrk_available():
                results["http"] = {"skipped": "wrk is not installed (apt-get install wrk)"}
            else:
                has_metrics = "metrics" in Settings.model_fields
                results["http"] = http_load.run(
                    config,
                    corpus,
                    index,
                    dev_questions(),
                    results["inprocess"]["encoder_floor"]["p50_ms"],
                    results["inprocess"]["ask_inprocess"]["p50_ms"],
                    results["machine"]["cores"],
                    has_metrics,
                )
            done("http", t)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    results["targets"] = targets(results)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = datetime.now(UTC).strftime("%Y-%m-%d") + ("-quick" if config.quick else "")
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (args.out / f"{stem}.md").write_text(table)
    print(table)
    print(f"[bench] written {args.out / stem}.json and .md in {results['total_seconds']} s")
    return 0
