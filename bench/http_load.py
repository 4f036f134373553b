"""HTTP figures: `faqbot serve` as a real subprocess, loaded by wrk on loopback.

wrk (C, epoll, one thread) generates the load so the load generator takes as little of the
two cores as possible. A Lua script cycles through the dev questions and prints wrk's own
latency percentiles as JSON. Memory per worker comes from /proc/<pid>/smaps_rollup: RSS, and
PSS (shared pages split between the processes that map them), whose sum over the workers is
what the machine really spends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from .common import REPO

SERVER_START_TIMEOUT_S = 300
WRK_SUMMARY = "BENCH_JSON "

LUA_TEMPLATE = """
local bodies = {%(bodies)s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/ask", {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests":%%d,"duration_us":%%d,"socket_errors":%%d,"non_2xx":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,"mean_us":%%.1f}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


class Server:
    """`faqbot serve --workers N` in a subprocess; ready once every worker has loaded."""

    def __init__(
        self, corpus: Path, index: Path, workers: int, env: dict[str, str] | None = None
    ) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
        base.update(
            {
                "HF_HUB_OFFLINE": "1",
                "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",  # issue 7's limiter must not shape the load
                "FAQBOT_QUERY_CACHE_SIZE": "0",  # uncached: the encoder-bound path
            }
        )
        base.update(env or {})
        self.command = [
            sys.executable,
            "-m",
            "faqbot.cli",
            "serve",
            "--workers",
            str(workers),
            "--port",
            str(self.port),
            "--corpus",
            str(corpus),
            "--index",
            str(index),
        ]
        self.env = base
        self.loaded = 0
        self.tail: list[str] = []
        self._loaded_event = threading.Event()

    def _drain(self, stream: Any) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if "loaded index" in line:
                self.loaded += 1
                if self.loaded >= self.workers:
                    self._loaded_event.set()
            elif "request_id=" not in line:
                self.tail = [*self.tail[-20:], line]

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.command, cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True).start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not self._loaded_event.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("faqbot serve did not start:\n" + "\n".join(self.tail))
        reply = httpx.get(f"{self.url}/healthz", timeout=30)
        reply.raise_for_status()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        if self.workers == 1:
            return [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()]
        return [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]

    def memory(self) -> dict[str, Any]:
        workers = [smaps_rollup(pid) for pid in self.worker_pids()]
        return {
            "workers": workers,
            "total_rss_mb": round(sum(w["rss_mb"] for w in workers), 1),
            "total_pss_mb": round(sum(w["pss_mb"] for w in workers), 1),
            "supervisor_pss_mb": (
                smaps_rollup(self.process.pid)["pss_mb"] if self.workers > 1 else 0.0
            ),
        }


def smaps_rollup(pid: int) -> dict[str, float]:
    """RSS, PSS and private (unique) memory of one process, in MB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {
        "pid": pid,
        "rss_mb": round(fields["Rss"] / 1024, 1),
        "pss_mb": round(fields["Pss"] / 1024, 1),
        "private_mb": round(private / 1024, 1),
        "shared_mb": round((fields["Rss"] - private) / 1024, 1),
    }


def lua_script(questions: list[str]) -> str:
    bodies = ",\n".join(f"[==[{json.dumps({'question': q})}]==]" for q in questions)
    return LUA_TEMPLATE % {"bodies": bodies, "marker": WRK_SUMMARY}


def wrk(url: str, clients: int, seconds: int, questions: list[str]) -> dict[str, Any]:
    """One load point: `clients` keep-alive connections for `seconds`, questions in turn."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(questions))
    try:
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s"]
        out = subprocess.run(
            [*command, "-s", script.name, f"{url}/ask"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith(WRK_SUMMARY))
    raw = json.loads(line[len(WRK_SUMMARY) :])
    seconds_run = raw["duration_us"] / 1e6
    return {
        "clients": clients,
        "requests": raw["requests"],
        "req_per_s": round(raw["requests"] / seconds_run, 2),
        "p50_ms": round(raw["p50_us"] / 1000, 3),
        "p90_ms": round(raw["p90_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "errors": raw["socket_errors"] + raw["non_2xx"],
    }


def run(
    config: Any,
    corpus: Path,
    index: Path,
    questions: list[str],
    floor_ms: float,
    inprocess_ms: float,
    cores: int,
    measure_metrics: bool,
) -> dict[str, Any]:
    """1/8/32 clients on one worker, 8 clients on two, memory of each; then one worker with
    FAQBOT_METRICS=false FAQBOT_FEEDBACK=false at 1 client, for the overhead of metrics and
    feedback (both on by default)."""
    seconds, warmup = config.http_seconds, config.http_warmup_seconds
    with Server(corpus, index, workers=1) as one:
        wrk(one.url, 8, warmup, questions)
        points = {str(c): wrk(one.url, c, seconds, questions) for c in (1, 8, 32)}
        memory_one = one.memory()
    with Server(corpus, index, workers=2) as two:
        wrk(two.url, 8, warmup, questions)
        two_at_8 = wrk(two.url, 8, seconds, questions)
        memory_two = two.memory()
    ceiling = cores / (floor_ms / 1000)
    first = memory_one["total_pss_mb"]
    second = memory_two["total_pss_mb"] - first
    result: dict[str, Any] = {
        "one_worker": points,
        "http_p50_1_client_over_inprocess_p50": round(points["1"]["p50_ms"] / inprocess_ms, 3),
        "two_workers_8_clients": two_at_8,
        "two_over_one_workers_req_per_s_8_clients": round(
            two_at_8["req_per_s"] / points["8"]["req_per_s"], 3
        ),
        "encoder_bound_ceiling_req_per_s": round(ceiling, 1),
        "two_workers_over_ceiling": round(two_at_8["req_per_s"] / ceiling, 3),
        "memory": {
            "one_worker": memory_one,
            "two_workers": memory_two,
            "first_worker_pss_mb": first,
            "second_worker_adds_pss_mb": round(second, 1),
            "second_over_first": round(second / first, 3),
        },
    }
    if measure_metrics:
        # Issue 9's target is metrics *and* feedback (an answer_id row + the day's outcome count
        # written to SQLite on every /ask): the bare server has both off.
        bare_env = {"FAQBOT_METRICS": "false", "FAQBOT_FEEDBACK": "false"}
        with Server(corpus, index, workers=1, env=bare_env) as bare:
            wrk(bare.url, 8, warmup, questions)
            off = wrk(bare.url, 1, seconds, questions)
        result["metrics_off_1_client"] = off
        result["metrics_on_over_off_p50"] = round(points["1"]["p50_ms"] / off["p50_ms"], 3)
    return result
