"""What metrics + feedback cost on /ask: p50 with them off and on, measured in one run.

Starts two `faqbot serve` processes on loopback from the same published index — one with
FAQBOT_METRICS=false FAQBOT_FEEDBACK=false, one with both on (every /ask then also writes its
answer_id and the day's outcome count to SQLite, and updates the Prometheus series) — and asks
both the dev questions in alternation, one request at a time, so drift hits both alike.
The query-embedding cache is off in both (most real questions are new), so the model runs on
every request. Target (issue 9): p50 ratio on/off < 1.05.

    .venv/bin/python -m bench.ops_overhead [--rounds 10] [--index index]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "tests" / "data" / "dev_questions.jsonl"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(index: Path, on: bool, scratch: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    flag = "true" if on else "false"
    env = {
        **os.environ,
        "FAQBOT_METRICS": flag,
        "FAQBOT_FEEDBACK": flag,
        "FAQBOT_QUERY_CACHE_SIZE": "0",
        "FAQBOT_ENCODER_THREADS": "1",
        "FAQBOT_FEEDBACK_DB": str(scratch / "feedback.db"),
        "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",
    }
    command = [sys.executable, "-m", "faqbot.cli", "serve", "--index", str(index)]
    command += ["--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return process, f"http://127.0.0.1:{port}"


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="passes over the dev questions")
    parser.add_argument("--index", type=Path, default=REPO / "index")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    with tempfile.TemporaryDirectory() as scratch:
        servers = {
            name: start(args.index, name == "on", Path(scratch) / name) for name in ("off", "on")
        }
        try:
            for process, url in servers.values():
                wait_ready(url, process)
            clients = {name: httpx.Client(base_url=url) for name, (_, url) in servers.items()}
            for client in clients.values():  # warm both
                for question in questions[:5]:
                    client.post("/ask", json={"question": question})
            times: dict[str, list[float]] = {"off": [], "on": []}
            for round_ in range(args.rounds):
                order = ("off", "on") if round_ % 2 == 0 else ("on", "off")
                for question in questions:
                    for name in order:
                        started = time.perf_counter()
                        response = clients[name].post("/ask", json={"question": question})
                        times[name].append(time.perf_counter() - started)
                        response.raise_for_status()
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=30)
    p50 = {name: statistics.median(values) * 1000 for name, values in times.items()}
    ratio = p50["on"] / p50["off"]
    print(f"requests per side: {len(times['off'])}")
    print(f"/ask p50 metrics+feedback off: {p50['off']:.2f} ms")
    print(f"/ask p50 metrics+feedback on:  {p50['on']:.2f} ms")
    print(f"ratio on/off: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)  target < 1.05")
    return 0 if ratio < 1.05 else 1


if __name__ == "__main__":
    sys.exit(main())
