"""The targets of issue 8 checked against one run's figures, and the Markdown table."""

from __future__ import annotations

from typing import Any


def _get(results: dict[str, Any], *path: str) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _at_million(results: dict[str, Any]) -> dict[str, Any] | None:
    rows = results.get("index_scale")
    if not isinstance(rows, list):
        return None
    large = [r for r in rows if r.get("vectors", 0) >= 1_000_000]
    return large[0] if large else None


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target: the measured ratio, the bound, and whether it was met (None: not measured)."""
    million = _at_million(results) or {}
    checks = [
        (
            "in-process /ask p50 ÷ encoder floor p50",
            _get(results, "inprocess", "ask_inprocess_over_floor_p50"),
            "≤",
            1.3,
        ),
        (
            "HTTP p50 at 1 client ÷ in-process p50",
            _get(results, "http", "http_p50_1_client_over_inprocess_p50"),
            "≤",
            1.3,
        ),
        (
            "cache miss p50 ÷ cache hit p50",
            _get(results, "inprocess", "cache", "miss_over_hit_p50"),
            "≥",
            10.0,
        ),
        (
            "2 workers ÷ 1 worker req/s at 8 clients",
            _get(results, "http", "two_over_one_workers_req_per_s_8_clients"),
            "≥",
            1.7,
        ),
        (
            "2 workers req/s ÷ encoder-bound ceiling",
            _get(results, "http", "two_workers_over_ceiling"),
            "≥",
            0.7,
        ),
        ("build ÷ raw encode passages/s", _get(results, "build", "build_over_raw"), "≥", 0.9),
        (
            "1M: IVF recall@10 vs flat (real queries)",
            million.get("recall_at_10_real_queries"),
            "≥",
            0.98,
        ),
        ("1M: flat p50 ÷ IVF p50", million.get("flat_over_ivf_p50"), "≥", 20.0),
        (
            "2nd worker's added PSS ÷ 1st worker's PSS",
            _get(results, "http", "memory", "second_over_first"),
            "<",
            1.0,
        ),
    ]
    out = []
    for name, value, op, bound in checks:
        met = None
        if isinstance(value, int | float):
            met = {"≤": value <= bound, "≥": value >= bound, "<": value < bound}[op]
        out.append({"target": name, "measured": value, "bound": f"{op} {bound}", "met": met})
    return out


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def _onnx_lines(onnx: dict[str, Any] | None) -> list[str]:
    """The ONNX Runtime backend beside torch, from the same run."""
    if not onnx:
        return []
    if "skipped" in onnx:
        return ["", f"ONNX backend: {onnx['skipped']}."]
    torch_floor = onnx["torch_floor"]
    lines = [
        "",
        f"| encoder ({onnx['threads']} threads) | 1 question p50 ms | ÷ torch | batch of 8 p50 ms "
        "| min cosine to torch | dev accuracy | MedQuAD hit@10 | accuracy unchanged |",
        "|---|---|---|---|---|---|---|---|",
        f"| torch | {torch_floor['p50_ms']} | 1.0 | {onnx['torch_batch8_p50_ms']} | 1.0 "
        f"| {onnx['dev_accuracy_torch']} | {onnx['medquad_hit_at_10_torch']} | |",
    ]
    for name in ("fp32", "int8"):
        row = onnx[name]
        lines.append(
            f"| ONNX {name} | {row['floor']['p50_ms']} | {row['floor_over_torch_p50']} "
            f"| {row['batch8_p50_ms']} | {row['min_cosine_to_torch']} | {row['dev_accuracy']} "
            f"| {row['medquad_hit_at_10']} | {row['accuracy_unchanged']} |"
        )
    lines += [
        "",
        f"/ask in-process p50 with FAQBOT_ENCODER_BACKEND=onnx {onnx['ask_inprocess_onnx_fp32']['p50_ms']} ms "
        f"vs torch {onnx['ask_inprocess_torch']['p50_ms']} ms (÷ {onnx['ask_inprocess_onnx_over_torch_p50']}; "
        f"interleaved, {onnx['medquad_queries']} MedQuAD queries for hit@10; export {onnx['export_seconds']} s).",
    ]
    return lines


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# faqbot bench, {results['date']}{' (quick smoke run)' if results.get('quick') else ''}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {m['memory_gb']} GB; model "
        f"{results['model']}; load average at start {m['loadavg_at_start'][0]:.2f}, at end "
        f"{m.get('loadavg_at_end', [0])[0]:.2f}; total {results.get('total_seconds')} s.",
        "",
        "| target | measured | bound | result |",
        "|---|---|---|---|",
    ]
    for t in results["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {t['bound']} | {_mark(t['met'])} |")
    ip = results.get("inprocess", {})
    if ip:
        lines += [
            "",
            "| figure | p50 ms | p99 ms |",
            "|---|---|---|",
            f"| encoder floor (1 forward pass) | {ip['encoder_floor']['p50_ms']} | {ip['encoder_floor']['p99_ms']} |",
            f"| /ask in-process | {ip['ask_inprocess']['p50_ms']} | {ip['ask_inprocess']['p99_ms']} |",
            f"| /ask cache miss | {ip['cache']['miss']['p50_ms']} | {ip['cache']['miss']['p99_ms']} |",
            f"| /ask cache hit | {ip['cache']['hit']['p50_ms']} | {ip['cache']['hit']['p99_ms']} |",
            "",
            "Breakdown of in-process /ask (mean ms): "
            + ", ".join(f"{k} {v}" for k, v in ip["breakdown_mean_ms"].items()),
        ]
    http = results.get("http", {})
    if "one_worker" in http:
        lines += [
            "",
            "| HTTP /ask | clients | p50 ms | p99 ms | req/s | errors |",
            "|---|---|---|---|---|---|",
        ]
        for clients, p in http["one_worker"].items():
            lines.append(
                f"| 1 worker | {clients} | {p['p50_ms']} | {p['p99_ms']} | {p['req_per_s']} | {p['errors']} |"
            )
        p = http["two_workers_8_clients"]
        lines.append(
            f"| 2 workers | 8 | {p['p50_ms']} | {p['p99_ms']} | {p['req_per_s']} | {p['errors']} |"
        )
        mem = http["memory"]
        w1 = mem["one_worker"]["workers"][0]
        served = results.get("served")
        loaded = (
            f"the whole MedQuAD build ({served['passages']} passages)"
            if served
            else f"the MedQuAD index ({results.get('build', {}).get('passages', '?')} passages)"
        )
        lines += [
            "",
            f"Encoder-bound ceiling: {http['encoder_bound_ceiling_req_per_s']} req/s (cores ÷ floor p50).",
            f"Memory with {loaded} loaded: 1 worker RSS {w1['rss_mb']} MB, PSS {w1['pss_mb']} MB "
            f"(private {w1['private_mb']} MB); 2 workers PSS total {mem['two_workers']['total_pss_mb']} MB "
            f"→ the second adds {mem['second_worker_adds_pss_mb']} MB.",
        ]
        if "metrics_on_over_off_p50" in http:
            lines.append(
                f"FAQBOT_METRICS on ÷ off, HTTP p50 at 1 client: {http['metrics_on_over_off_p50']}."
            )
    b = results.get("build")
    if b:
        lines += [
            "",
            f"Build on MedQuAD: {b['passages']} passages in {b['articles']} articles"
            + (
                f" (capped by time: of {b['passages_in_full_corpus']})"
                if b.get("capped_by_time")
                else ""
            )
            + "; raw encode "
            f"{b['raw_encode_passages_per_s']} passages/s, full build {b['build_passages_per_s']} passages/s.",
        ]
    lines += _onnx_lines(results.get("onnx"))
    scale = results.get("index_scale")
    if isinstance(scale, dict):
        lines += ["", f"Index scale: {scale.get('skipped')}."]
    elif scale:
        lines += [
            "",
            "| vectors | flat p50 ms | IVF p50 ms | flat ÷ IVF | recall@10 (real queries) | nlist/nprobe | IVF build s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in scale:
            if "ivf" not in r:
                lines.append(f"| {r['vectors']:,} | {r['flat']['p50_ms']} | refused | | | | |")
                continue
            params = r["ivf_params"]
            lines.append(
                f"| {r['vectors']:,} | {r['flat']['p50_ms']} | {r['ivf']['p50_ms']} | {r['flat_over_ivf_p50']} "
                f"| {r['recall_at_10_real_queries']} | {params['nlist']}/{params['nprobe']} | {r['ivf_build_seconds']} |"
            )
    noisy = {
        k: v["other_processes_busy"]
        for k, v in results.get("noise", {}).items()
        if v["other_processes_busy"]
    }
    lines += [
        "",
        "Other processes busy at section starts: "
        + ("; ".join(f"{k}: {', '.join(v)}" for k, v in noisy.items()) if noisy else "none seen."),
        "",
    ]
    return "\n".join(lines)
