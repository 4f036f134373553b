"""The opt-in unanswered report: fallback questions, scrubbed, then kept for a limited time.

Off unless the operator sets FAQBOT_UNANSWERED_REPORT=true. Before anything is stored, the
question loses URLs, emails, phone numbers, every token with a digit and every names-like word
(capitalised words the approved articles do not use, words after "Dr", "Mrs", "named"…). Only the
day is kept, not the time. Emergency questions are never stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from faqbot.feedback import SqliteStore, today

URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more characters of digits and phone punctuation, starting and ending with a digit.
PHONE = re.compile(r"(?<!\w)\+?\(?\d[\d\s().-]{5,}\d(?!\w)")
HAS_DIGIT = re.compile(r"\S*\d\S*")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?]\s*$")
HONORIFICS = frozenset(["dr", "mr", "mrs", "ms", "miss", "mx", "prof", "named", "called"])
NAME_LEAD = ("my name is", "i am called", "this is")
# Everyday words that may start a question; a capitalised first word outside this list and
# outside the articles' own vocabulary is treated as a possible name.
COMMON = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "anyone",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "during",
        "each",
        "for",
        "from",
        "get",
        "gets",
        "getting",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "just",
        "let",
        "me",
        "more",
        "most",
        "much",
        "my",
        "no",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "thanks",
        "thank",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "yes",
        "yet",
        "you",
        "your",
        "hi",
        "hello",
        "hey",
        "ok",
        "okay",
        "tell",
        "explain",
        "anything",
        "something",
        "someone",
        "wondering",
        "question",
        "questions",
        "know",
        "need",
        "want",
        "like",
        "looking",
        "ask",
        "asking",
        "help",
        "where's",
        "what's",
        "how's",
        "who's",
        "i'm",
        "i've",
        "i'd",
        "can't",
        "don't",
        "doesn't",
        "isn't",
        "won't",
        "whats",
        "hows",
        "call",
        "email",
        "phone",
        "text",
        "contact",
        "visit",
        "book",
        "go",
        "going",
        "come",
        "coming",
        "make",
        "take",
        "taking",
        "give",
        "see",
        "find",
        "where",
        "pay",
        "cost",
        "costs",
        "payment",
        "insurance",
        "cover",
        "covered",
        "covers",
        "parking",
        "park",
        "drive",
        "driving",
        "open",
        "opening",
        "hours",
        "time",
        "times",
        "today",
        "tomorrow",
        "yesterday",
        "week",
        "month",
        "year",
        "day",
        "night",
        "morning",
        "evening",
        "sorry",
        "great",
        "good",
        "bad",
        "new",
        "old",
        "first",
        "last",
        "next",
    ]
)
PLACEHOLDER = re.compile(r"\[(?:url|email|phone|number|name)\]")


def _number(match: re.Match[str]) -> str:
    """A token with a digit becomes [number]; punctuation after it stays (sentence ends)."""
    token = match.group(0)
    tail = len(token) - len(token.rstrip(".,!?;:)"))
    return " [number]" + (token[-tail:] if tail else "") + " "


class Scrubber:
    """Removes what could identify a person; knows the approved articles' own words."""

    def __init__(self, article_texts: Iterable[str]) -> None:
        self.known: set[str] = set(COMMON)
        self.known_capitalised: set[str] = {"I"}
        for text in article_texts:
            for word in WORD.findall(text):
                self.known.add(word.lower())
                if word[0].isupper():
                    self.known_capitalised.add(word)

    def scrub(self, text: str) -> str:
        text = URL.sub(" [url] ", text)
        text = EMAIL.sub(" [email] ", text)
        text = PHONE.sub(" [phone] ", text)
        text = HAS_DIGIT.sub(_number, text)
        return " ".join(self._names(text).split())

    def _names(self, text: str) -> str:
        out: list[str] = []
        position = 0
        sentence_start = True
        after_honorific = False
        for match in WORD.finditer(text):
            before = text[position : match.start()]
            out.append(before)
            word = match.group(0)
            if before.endswith("[") and PLACEHOLDER.match(text, match.start() - 1):
                out.append(word)  # one of our own placeholders
                position = match.end()
                continue
            if SENTENCE_END.search(before) or (position == 0 and not before.strip()):
                sentence_start = True
            lead = text[: match.start()].lower().rstrip()
            named = (after_honorific or lead.endswith(NAME_LEAD)) and word.lower() not in COMMON
            if named or self._name_like(word, sentence_start):
                out.append("[name]")
            else:
                out.append(word)
            after_honorific = word.lower() in HONORIFICS
            sentence_start = False
            position = match.end()
        out.append(text[position:])
        return "".join(out)

    def _name_like(self, word: str, sentence_start: bool) -> bool:
        if not word[0].isupper():
            return False
        if word in self.known_capitalised:
            return False
        # A known word opening a sentence is just capitalised; an acronym is not.
        return not (sentence_start and word.lower() in self.known and not word[1:].isupper())


@dataclass(frozen=True)
class Unanswered:
    day: str
    reason: str  # "no-match" (nothing approved covers it) or "advice" (declined by policy)
    text: str  # scrubbed


class UnansweredStore(SqliteStore):
    """Scrubbed fallback questions with the day they were asked, bounded in age and count."""

    schema = """
    CREATE TABLE IF NOT EXISTS unanswered (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        day TEXT NOT NULL, reason TEXT NOT NULL, text TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS unanswered_day ON unanswered(day)
    """

    def __init__(self, path: Path, retention_days: int = 30, max_rows: int = 5_000) -> None:
        super().__init__(path)
        self.retention_days = retention_days
        self.max_rows = max_rows

    def add(self, scrubbed: str, reason: str) -> None:
        """Store one already scrubbed question; drop what is past retention or over the cap."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO unanswered (day, reason, text) VALUES (?, ?, ?)",
                (today(), reason, scrubbed),
            )
            self._prune(conn)

    def _prune(self, conn: object) -> None:
        cutoff = (datetime.now(UTC).date() - timedelta(days=self.retention_days)).isoformat()
        execute = conn.execute  # type: ignore[attr-defined]
        execute("DELETE FROM unanswered WHERE day < ?", (cutoff,))
        execute(
            "DELETE FROM unanswered WHERE id IN (SELECT id FROM unanswered "
            "ORDER BY id DESC LIMIT -1 OFFSET ?)",
            (self.max_rows,),
        )

    def prune(self) -> None:
        with self.transaction() as conn:
            self._prune(conn)

    def since(self, since: date | None = None) -> list[Unanswered]:
        rows = self.read(
            "SELECT day, reason, text FROM unanswered WHERE day >= ? ORDER BY id",
            (since.isoformat() if since else "0000-00-00",),
        )
        return [Unanswered(str(d), str(r), str(t)) for d, r, t in rows]
