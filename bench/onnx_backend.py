"""Experiment: faqbot's ONNX Runtime encoder (src/faqbot/embedding/onnx_encoder.py) against torch, and a
dynamically quantised int8 variant of the same export (kept here only: it changes answers).

Measured here, in one run: the single-question encoder time (interleaved with the torch
encoder), a batch of 8, how close the vectors are, in-process /ask with each backend
(interleaved, the served stack), and accuracy with the query encoder swapped — on the dev
questions (faqbot's own eval) and on held-out MedQuAD dev queries (hit@10 by the qrels).
"""

from __future__ import annotations

import csv
import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from faqbot.answering.answerer import Answerer
from faqbot.embedding.batching import BatchingEmbedder
from faqbot.embedding.onnx_encoder import OnnxEmbedder, export, min_cosine

from .common import MEDQUAD, ratio, summary_ms

BATCH = 8


def available() -> str | None:
    """None when onnx and onnxruntime import, else why not."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return f"not measured: {exc.name} is not installed (make install)"
    return None


def export_both(model: str, workdir: Path) -> tuple[Path, Path]:
    """faqbot's fp32 export, and an int8 copy quantised from it (the experiment only)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, int8 = workdir / "minilm-fp32.onnx", workdir / "minilm-int8.onnx"
    export(model, fp32)
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


def medquad_hits_at_10(
    encoder: Any, queries: list[tuple[str, set[str]]], index: Any, passage_ids: list[str]
) -> float | None:
    if not queries:
        return None
    vectors = encoder.encode([q for q, _ in queries])
    _, rows = index.search(vectors, 10)
    hits = [
        bool({passage_ids[r] for r in row if r >= 0} & relevant)
        for row, (_, relevant) in zip(rows, queries, strict=True)
    ]
    return round(float(np.mean(hits)), 4)


def medquad_judged_queries(limit: int, known: set[str]) -> list[tuple[str, set[str]]]:
    relevant: dict[str, set[str]] = defaultdict(set)
    with (MEDQUAD / "dev_qrels.tsv").open(encoding="utf-8") as rows:
        for qid, pid, _ in csv.reader(rows, delimiter="\t"):
            relevant[qid].add(pid)
    with (MEDQUAD / "dev_queries.jsonl").open(encoding="utf-8") as lines:
        queries = [json.loads(line) for line in lines]
    judged = [(q["text"], relevant[q["id"]] & known) for q in queries if relevant[q["id"]] & known]
    step = max(1, len(judged) // limit)
    return judged[1::step][:limit]  # offset 1: not the questions used elsewhere in the run


def _interleaved(
    calls: Mapping[str, Callable[..., object]], inputs: Sequence[Any], passes: int
) -> dict[str, list[float]]:
    """Seconds per call of each backend on each input, the backends taking turns input by
    input, so that drift on the shared machine hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(passes):
        for item in inputs:
            for name, call in calls.items():
                started = time.perf_counter()
                call(item)
                times[name].append(time.perf_counter() - started)
    return times


def _encoder_times(
    encoders: dict[str, Any], questions: list[str], passes: int
) -> dict[str, list[float]]:
    """Single-question encode times, the backends interleaved question by question."""
    calls = {name: (lambda q, e=encoder: e.encode([q])) for name, encoder in encoders.items()}
    return _interleaved(calls, questions, passes)


def _batch_ms(encoders: dict[str, Any], questions: list[str], passes: int) -> dict[str, float]:
    """p50 time of one batch of BATCH questions, per backend, interleaved."""
    batches = [questions[i : i + BATCH] for i in range(0, len(questions) - BATCH + 1, BATCH)]
    calls = {name: encoder.encode for name, encoder in encoders.items()}
    times = _interleaved(calls, batches, passes)
    return {name: summary_ms(t)["p50_ms"] for name, t in times.items()}


def _ask_times(
    encoders: dict[str, Any], state: Any, candidates: int, questions: list[str], passes: int
) -> dict[str, dict[str, float]]:
    """In-process /ask (served stack, cache off) with each backend, interleaved."""
    calls = {
        name: Answerer(BatchingEmbedder(encoder), state, candidates).ask
        for name, encoder in encoders.items()
    }
    times = _interleaved(calls, questions, passes)
    return {name: summary_ms(t) for name, t in times.items()}


def run(
    model: str,
    torch_encoder: Any,
    threads: int,
    workdir: Path,
    dev_eval: Any,
    questions: list[str],
    medquad: tuple[Any, list[str]],
    medquad_limit: int,
    served: tuple[Any, int],
) -> dict[str, Any]:
    """`dev_eval(encoder) -> accuracy` runs faqbot's eval with that query encoder;
    `medquad` is the torch-built MedQuAD index and its passage ids (MedQuAD ids);
    `served` is the ServingState and candidate count of the in-process section."""
    started = time.perf_counter()
    fp32_file, int8_file = export_both(model, workdir)
    export_seconds = time.perf_counter() - started
    onnx = {
        "fp32": OnnxEmbedder(fp32_file, model, threads),
        "int8": OnnxEmbedder(int8_file, model, threads),
    }
    everything = {"torch": torch_encoder, **onnx}
    reference = torch_encoder.encode(questions)
    for encoder in onnx.values():
        encoder.encode(questions[:3])  # warm-up
    times = _encoder_times(everything, questions, passes=3)
    batch_p50 = _batch_ms(everything, questions, passes=3)
    state, candidates = served
    ask = _ask_times(
        {"torch": torch_encoder, "fp32": onnx["fp32"]}, state, candidates, questions, passes=3
    )
    index, passage_ids = medquad
    judged = medquad_judged_queries(medquad_limit, set(passage_ids))
    torch_summary = summary_ms(times["torch"])
    result: dict[str, Any] = {
        "export_seconds": round(export_seconds, 1),
        "threads": threads,
        "torch_floor": torch_summary,
        "torch_batch8_p50_ms": batch_p50["torch"],
        "ask_inprocess_torch": ask["torch"],
        "ask_inprocess_onnx_fp32": ask["fp32"],
        "ask_inprocess_onnx_over_torch_p50": ratio(ask["fp32"]["p50_ms"], ask["torch"]["p50_ms"]),
        "dev_accuracy_torch": dev_eval(torch_encoder),
        "medquad_hit_at_10_torch": medquad_hits_at_10(torch_encoder, judged, index, passage_ids),
        "medquad_queries": len(judged),
    }
    for name, encoder in onnx.items():
        summary = summary_ms(times[name])
        result[name] = {
            "floor": summary,
            "floor_over_torch_p50": ratio(summary["p50_ms"], torch_summary["p50_ms"]),
            "batch8_p50_ms": batch_p50[name],
            "min_cosine_to_torch": round(min_cosine(encoder.encode(questions), reference), 6),
            "dev_accuracy": dev_eval(encoder),
            "medquad_hit_at_10": medquad_hits_at_10(encoder, judged, index, passage_ids),
        }
        result[name]["accuracy_unchanged"] = result[name]["dev_accuracy"] == result[
            "dev_accuracy_torch"
        ] and (result[name]["medquad_hit_at_10"] or 0) >= (result["medquad_hit_at_10_torch"] or 0)
    return result
