"""Visitor feedback and daily outcome counts in one small SQLite file (stdlib sqlite3, WAL).

What is stored, and what is not:
- `answers`: each issued answer_id with its outcome and the ids/sections of the passages shown,
  for `feedback_ttl_hours`, so that any worker process can accept or refuse a vote for it.
- `daily_outcomes`, `daily_votes`, `passage_votes`: counters per day. Never the question text.

Several worker processes write to the same file: every write is one short `BEGIN IMMEDIATE`
transaction, and SQLite's lock (with a busy timeout) serialises them, so no count is lost.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from faqbot.errors import FaqbotError

BUSY_TIMEOUT_MS = 15_000
PRUNE_EVERY = 256  # issues between two clean-ups of expired answer_ids

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT NOT NULL UNIQUE,
    issued REAL NOT NULL,
    status TEXT NOT NULL,
    passages TEXT NOT NULL,
    voted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS answers_issued ON answers(issued);
CREATE TABLE IF NOT EXISTS daily_outcomes (
    day TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, status)
);
CREATE TABLE IF NOT EXISTS daily_votes (
    day TEXT NOT NULL, helpful INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, helpful)
);
CREATE TABLE IF NOT EXISTS passage_votes (
    day TEXT NOT NULL,
    passage_id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    section TEXT NOT NULL,
    url TEXT NOT NULL,
    helpful INTEGER NOT NULL DEFAULT 0,
    unhelpful INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, passage_id)
);
"""


class FeedbackRefused(FaqbotError):
    """A vote that cannot be recorded; `code` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class ShownPassage:
    """What a vote is recorded against: a passage and where it lives, not the question."""

    id: str
    article_id: str
    section: str
    url: str


@dataclass(frozen=True)
class PassageStats:
    passage_id: str
    article_id: str
    section: str
    url: str
    helpful: int
    unhelpful: int

    @property
    def votes(self) -> int:
        return self.helpful + self.unhelpful

    @property
    def helpful_ratio(self) -> float:
        return self.helpful / self.votes if self.votes else 0.0


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection in WAL mode that waits for other writers instead of failing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoint, never corrupt
    return conn


class SqliteStore:
    """One connection per process, shared by threads under a lock; writes are short."""

    schema = SCHEMA

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = connect(path)
        with self.transaction() as conn:
            for statement in self.schema.split(";"):
                if statement.strip():
                    conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so no upgrade deadlocks."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class FeedbackStore(SqliteStore):
    """Issued answer_ids (with a time to live), votes per passage, outcomes per day."""

    def __init__(self, path: Path, ttl_hours: float = 24.0, max_pending: int = 200_000) -> None:
        super().__init__(path)
        self.ttl_s = ttl_hours * 3600
        self.max_pending = max_pending
        self._issued = 0

    def issue(self, status: str, shown: Sequence[ShownPassage]) -> str:
        """Remember a new answer_id with the passages shown; count the outcome for today."""
        answer_id = secrets.token_urlsafe(16)
        passages = json.dumps([[p.id, p.article_id, p.section, p.url] for p in shown])
        now = time.time()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO answers (answer_id, issued, status, passages) VALUES (?, ?, ?, ?)",
                (answer_id, now, status, passages),
            )
            conn.execute(
                "INSERT INTO daily_outcomes (day, status, n) VALUES (?, ?, 1) "
                "ON CONFLICT (day, status) DO UPDATE SET n = n + 1",
                (today(), status),
            )
            self._issued += 1
            if self._issued % PRUNE_EVERY == 0:
                self._prune(conn, now)
        return answer_id

    def _prune(self, conn: sqlite3.Connection, now: float) -> None:
        conn.execute("DELETE FROM answers WHERE issued < ?", (now - self.ttl_s,))
        conn.execute(
            "DELETE FROM answers WHERE rowid IN (SELECT rowid FROM answers "
            "ORDER BY issued DESC LIMIT -1 OFFSET ?)",
            (self.max_pending,),
        )

    def prune(self) -> None:
        with self.transaction() as conn:
            self._prune(conn, time.time())

    def vote(self, answer_id: str, helpful: bool) -> None:
        """Record one vote for an issued answer; refuse unknown, expired and repeated ids."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT issued, passages, voted FROM answers WHERE answer_id = ?", (answer_id,)
            ).fetchone()
            if row is None or row[0] < time.time() - self.ttl_s:
                raise FeedbackRefused(
                    "unknown_answer", "That answer_id is unknown or too old to rate."
                )
            if row[2]:
                raise FeedbackRefused("duplicate_feedback", "Feedback for this answer is recorded.")
            conn.execute("UPDATE answers SET voted = 1 WHERE answer_id = ?", (answer_id,))
            day = today()
            conn.execute(
                "INSERT INTO daily_votes (day, helpful, n) VALUES (?, ?, 1) "
                "ON CONFLICT (day, helpful) DO UPDATE SET n = n + 1",
                (day, int(helpful)),
            )
            column = "helpful" if helpful else "unhelpful"
            for passage_id, article_id, section, url in json.loads(row[1]):
                conn.execute(
                    "INSERT INTO passage_votes (day, passage_id, article_id, section, url, "
                    f"{column}) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (day, passage_id) "
                    f"DO UPDATE SET {column} = {column} + 1",
                    (day, passage_id, article_id, section, url),
                )

    # Reading, for the report.

    def outcomes_by_day(self, since: date | None = None) -> dict[str, dict[str, int]]:
        rows = self.read(
            "SELECT day, status, n FROM daily_outcomes WHERE day >= ? ORDER BY day",
            (_day(since),),
        )
        days: dict[str, dict[str, int]] = {}
        for day, status, n in rows:
            days.setdefault(str(day), {})[str(status)] = int(str(n))
        return days

    def votes(self, since: date | None = None) -> dict[bool, int]:
        rows = self.read(
            "SELECT helpful, SUM(n) FROM daily_votes WHERE day >= ? GROUP BY helpful",
            (_day(since),),
        )
        counts = {True: 0, False: 0}
        for helpful, n in rows:
            counts[bool(helpful)] = int(str(n))
        return counts

    def passage_stats(self, since: date | None = None) -> list[PassageStats]:
        rows = self.read(
            "SELECT passage_id, MAX(article_id), MAX(section), MAX(url), SUM(helpful), "
            "SUM(unhelpful) FROM passage_votes WHERE day >= ? GROUP BY passage_id",
            (_day(since),),
        )
        return [
            PassageStats(str(p), str(a), str(s), str(u), int(str(h)), int(str(n)))
            for p, a, s, u, h, n in rows
        ]

    def pending_count(self) -> int:
        return int(str(self.read("SELECT COUNT(*) FROM answers")[0][0]))


def _day(since: date | None) -> str:
    return since.isoformat() if since else "0000-00-00"
