"""Bounded soak: 8 clients ask for 10 minutes against `faqbot serve` on loopback, then stop.

Starts its own server (rate limit off, query cache off so the model runs on every request)
from a published index, and keeps 8 client threads asking the dev questions in turn, with one
bad request (malformed JSON) in every 20 to keep the error paths warm. Reports requests,
errors (status >= 500, unexpected statuses, transport failures), p50/p99 latency and the
server's RSS after warm-up and at the end. Targets (issue 7): 0 errors, RSS growth < 5%.

    .venv/bin/python -m bench.soak [--seconds 600] [--clients 8] [--warmup 30] [--index index]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.ops_overhead import QUESTIONS, REPO, free_port, wait_ready

BAD_EVERY = 20


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def client(
    url: str, questions: list[str], stop_at: float, offset: int, out: dict[str, list]
) -> None:  # type: ignore[type-arg]
    latencies: list[float] = []
    errors: list[str] = []
    n = offset
    with httpx.Client(base_url=url, timeout=30) as http:
        while time.monotonic() < stop_at:
            n += 1
            bad = n % BAD_EVERY == 0
            started = time.perf_counter()
            try:
                if bad:
                    response = http.post(
                        "/ask",
                        content=b'{"question": ',
                        headers={"content-type": "application/json"},
                    )
                else:
                    response = http.post("/ask", json={"question": questions[n % len(questions)]})
                elapsed = time.perf_counter() - started
                if response.status_code != (400 if bad else 200):
                    errors.append(f"status {response.status_code}")
            except httpx.HTTPError as exc:
                elapsed = time.perf_counter() - started
                errors.append(type(exc).__name__)
            latencies.append(elapsed)
    out["latencies"].extend(latencies)
    out["errors"].extend(errors)


def run_phase(url: str, questions: list[str], seconds: float, clients: int) -> dict[str, list]:  # type: ignore[type-arg]
    out: dict[str, list] = {"latencies": [], "errors": []}  # type: ignore[type-arg]
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(url, questions, stop_at, i * 7, out))
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600, help="soak length after warm-up")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=30, help="seconds before the first RSS")
    parser.add_argument("--index", type=Path, default=REPO / "index")
    args = parser.parse_args()

    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    port = free_port()
    url = f"http://127.0.0.1:{port}"  # loopback only
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",
            "FAQBOT_QUERY_CACHE_SIZE": "0",
            "FAQBOT_FEEDBACK_DB": str(Path(scratch) / "feedback.db"),
        }
        command = [sys.executable, "-m", "faqbot.cli", "serve", "--index", str(args.index)]
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(url, process)
            warm = run_phase(url, questions, args.warmup, args.clients)
            rss_start = rss_kib(process.pid)
            started = time.monotonic()
            soak = run_phase(url, questions, args.seconds, args.clients)
            wall = time.monotonic() - started
            rss_end = rss_kib(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)

    latencies = sorted(soak["latencies"])
    report = {
        "seconds": round(wall, 1),
        "clients": args.clients,
        "warmup_requests": len(warm["latencies"]),
        "warmup_errors": len(warm["errors"]),
        "requests": len(latencies),
        "errors": len(soak["errors"]),
        "error_kinds": sorted(set(soak["errors"])),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "rss_start_mib": round(rss_start / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
        "rss_growth_pct": round((rss_end - rss_start) / rss_start * 100, 2),
    }
    print(json.dumps(report, indent=2))
    ok = report["errors"] == 0 and report["rss_growth_pct"] < 5
    print("PASS" if ok else "FAIL", "(targets: 0 errors, RSS growth < 5% after warm-up)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
