"""Experiment: the same packaged model through ONNX Runtime, fp32 and dynamically quantised int8.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, which pins transformers < 4.58
(faqbot runs transformers 5), so it is not available here. The export is done directly
instead, offline, from the packaged weights: torch.onnx.export of the BERT encoder, then
tokenizer + mean pooling + L2 normalisation in numpy exactly as the sentence-transformers
pipeline of this model does (modules.json: Transformer → Pooling(mean) → Normalize).

Measured here, in one run: the single-question encoder time (interleaved with the torch
encoder), how close the vectors are, and accuracy with the query encoder swapped — on the dev
questions (faqbot's own eval) and on held-out MedQuAD dev queries (hit@10 by the qrels).
Nothing here is wired into the server: a backend is kept only if accuracy is unchanged.
"""

from __future__ import annotations

import csv
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from faqbot.embedding import ENCODE_BATCH_SIZE, resolve_model_path

from .common import MEDQUAD, ratio, summary_ms


def available() -> str | None:
    """None when onnx and onnxruntime import, else why not."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return f"not measured: {exc.name} is not installed (pip install -e '.[bench]')"
    return None


class OnnxEncoder:
    """Tokenise → ONNX BERT → mean pooling → unit vectors, like the torch pipeline."""

    def __init__(self, onnx_file: Path, model_dir: Path, threads: int, name: str) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_length = int(config["max_seq_length"])
        self.model_name = name
        self.dimension = 384

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), ENCODE_BATCH_SIZE):
            batch = list(texts[start : start + ENCODE_BATCH_SIZE])
            tokens = self.tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            feeds = {
                k: tokens[k].astype(np.int64)
                for k in ("input_ids", "attention_mask", "token_type_ids")
            }
            hidden = self.session.run(None, feeds)[0]
            mask = tokens["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            rows.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)


def export(model: str, workdir: Path) -> tuple[Path, Path, Path]:
    """fp32 and int8 ONNX files exported from the packaged weights (no network)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    model_dir = resolve_model_path(model)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer(
        ["a question", "another, longer question"], padding=True, return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32, int8 = workdir / "minilm-fp32.onnx", workdir / "minilm-int8.onnx"
    torch.onnx.export(
        Encoder(),
        tuple(sample[n] for n in names),
        str(fp32),
        input_names=names,
        output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8, model_dir


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


def run(
    model: str,
    torch_encoder: Any,
    threads: int,
    workdir: Path,
    dev_eval: Any,
    questions: list[str],
    medquad: tuple[Any, list[str]],
    medquad_limit: int,
) -> dict[str, Any]:
    """`dev_eval(encoder) -> accuracy` runs faqbot's eval with that query encoder;
    `medquad` is the torch-built MedQuAD index and its passage ids (MedQuAD ids)."""
    started = time.perf_counter()
    fp32_file, int8_file, model_dir = export(model, workdir)
    export_seconds = time.perf_counter() - started
    encoders = {
        "fp32": OnnxEncoder(fp32_file, model_dir, threads, model),
        "int8": OnnxEncoder(int8_file, model_dir, threads, model),
    }
    reference = torch_encoder.encode(questions)
    times: dict[str, list[float]] = {"torch": [], "fp32": [], "int8": []}
    for encoder in encoders.values():
        encoder.encode(questions[:3])  # warm-up
    for _ in range(3):
        for question in questions:
            for name, encoder in (("torch", torch_encoder), *encoders.items()):
                t = time.perf_counter()
                encoder.encode([question])
                times[name].append(time.perf_counter() - t)
    index, passage_ids = medquad
    judged = medquad_judged_queries(medquad_limit, set(passage_ids))
    torch_summary = summary_ms(times["torch"])
    result: dict[str, Any] = {
        "export_seconds": round(export_seconds, 1),
        "torch_floor": torch_summary,
        "dev_accuracy_torch": dev_eval(torch_encoder),
        "medquad_hit_at_10_torch": medquad_hits_at_10(torch_encoder, judged, index, passage_ids),
        "medquad_queries": len(judged),
    }
    for name, encoder in encoders.items():
        vectors = encoder.encode(questions)
        summary = summary_ms(times[name])
        result[name] = {
            "floor": summary,
            "floor_over_torch_p50": ratio(summary["p50_ms"], torch_summary["p50_ms"]),
            "min_cosine_to_torch": round(float((vectors * reference).sum(axis=1).min()), 6),
            "dev_accuracy": dev_eval(encoder),
            "medquad_hit_at_10": medquad_hits_at_10(encoder, judged, index, passage_ids),
        }
        result[name]["accuracy_unchanged"] = result[name]["dev_accuracy"] == result[
            "dev_accuracy_torch"
        ] and (result[name]["medquad_hit_at_10"] or 0) >= (result["medquad_hit_at_10_torch"] or 0)
    return result
