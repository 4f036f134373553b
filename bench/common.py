"""Shared pieces of the benchmark: settings of one run, percentiles, the question sets."""

from __future__ import annotations

import gzip
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DEV_QUESTIONS = REPO / "tests" / "data" / "dev_questions.jsonl"
# ../shared beside the clone (CI, /work/main); a git worktree one level deeper finds it too.
MEDQUAD = next(
    (
        p / "shared" / "data" / "medquad"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared" / "data" / "medquad").is_dir()
    ),
    REPO.parent / "shared" / "data" / "medquad",
)


@dataclass(frozen=True)
class BenchConfig:
    """How big one run is. `quick` smoke-tests the harness in about a minute."""

    quick: bool
    repeats: int  # passes over the dev questions for in-process timings
    http_seconds: int  # measured seconds per HTTP load point
    http_warmup_seconds: int
    medquad_passages: int | None  # None = the whole corpus
    scale_sizes: tuple[int, ...]
    scale_queries: int
    workdir: Path

    @classmethod
    def full(cls, workdir: Path) -> BenchConfig:
        return cls(False, 5, 15, 3, None, (100_000, 1_000_000), 400, workdir)

    @classmethod
    def tiny(cls, workdir: Path) -> BenchConfig:
        return cls(True, 2, 3, 1, 600, (10_000,), 100, workdir)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p99/mean in milliseconds, and how many samples they rest on."""
    ms = [s * 1000 for s in seconds]
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "samples": len(ms),
    }


def ratio(value: float, reference: float) -> float:
    return round(value / reference, 3) if reference else float("nan")


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


@contextmanager
def stopwatch(into: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    into[name] = round(time.perf_counter() - started, 3)


def dev_questions() -> list[str]:
    with DEV_QUESTIONS.open(encoding="utf-8") as lines:
        return [json.loads(line)["question"] for line in lines if line.strip()]


def medquad_passages(limit: int | None = None) -> list[dict[str, str]]:
    with gzip.open(MEDQUAD / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return rows[:limit] if limit else rows


def medquad_queries(limit: int) -> list[str]:
    with (MEDQUAD / "dev_queries.jsonl").open(encoding="utf-8") as lines:
        rows = [json.loads(line)["text"] for line in lines]
    step = max(1, len(rows) // limit)  # spread over the collections, not the first one only
    return rows[::step][:limit]


def machine() -> dict[str, Any]:
    """What the figures were measured on, and how busy it was."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu_model": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
    }


def _cpu_ticks() -> dict[int, tuple[str, int]]:
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        ticks[int(stat.parent.name)] = (name, int(fields[11]) + int(fields[12]))
    return ticks


def cpu_hogs(sample_seconds: float = 1.0, threshold: float = 0.2) -> list[str]:
    """Processes using at least `threshold` of a core right now (sampled): the noise behind a
    missed target, named in the results. Our own process is left out."""
    before = _cpu_ticks()
    time.sleep(sample_seconds)
    after = _cpu_ticks()
    hz = os.sysconf("SC_CLK_TCK")
    busy = []
    for pid, (name, total) in after.items():
        if pid == os.getpid() or pid not in before:
            continue
        share = (total - before[pid][1]) / hz / sample_seconds
        if share >= threshold:
            busy.append(f"{name}[{pid}] {share:.0%}")
    return busy
