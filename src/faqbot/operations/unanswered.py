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

from faqbot.operations.feedback import SqliteStore, today
from faqbot.text.words import STOPWORDS

URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more characters of digits and phone punctuation, starting and ending with a digit.
PHONE = re.compile(r"(?<!\w)\+?\(?\d[\d\s().-]{5,}\d(?!\w)")
HAS_DIGIT = re.compile(r"\S*\d\S*")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?]\s*$")
HONORIFICS = frozenset(["dr", "mr", "mrs", "ms", "miss", "mx", "prof", "named", "called"])
NAME_LEAD = ("my name is", "i am called", "this is")
# Words that may open a question without being a name: lexical's function words, less those
# that can stand for a person (an initial, the name "May"), plus everyday question words and the
# apostrophe spellings the WORD pattern keeps. A capitalised first word outside this set and
# outside the articles' own vocabulary is treated as a possible name.
NAME_LIKE_STOPWORDS = frozenset({"may", "s", "t"})
QUESTION_WORDS = frozenset(
    [
        "anyone",
        "anything",
        "ask",
        "asking",
        "bad",
        "book",
        "call",
        "can't",
        "come",
        "coming",
        "contact",
        "cost",
        "costs",
        "cover",
        "covered",
        "covers",
        "day",
        "doesn't",
        "don't",
        "drive",
        "driving",
        "email",
        "evening",
        "explain",
        "find",
        "first",
        "give",
        "go",
        "going",
        "good",
        "great",
        "hello",
        "help",
        "hey",
        "hi",
        "hours",
        "how's",
        "hows",
        "i'd",
        "i'm",
        "i've",
        "insurance",
        "isn't",
        "know",
        "last",
        "let",
        "like",
        "looking",
        "make",
        "month",
        "morning",
        "need",
        "new",
        "next",
        "night",
        "old",
        "open",
        "opening",
        "park",
        "parking",
        "pay",
        "payment",
        "phone",
        "question",
        "questions",
        "see",
        "someone",
        "something",
        "sorry",
        "take",
        "taking",
        "tell",
        "text",
        "time",
        "times",
        "today",
        "tomorrow",
        "us",
        "visit",
        "want",
        "week",
        "what's",
        "where's",
        "who's",
        "won't",
        "wondering",
        "year",
        "yesterday",
        "yet",
    ]
)
COMMON = (STOPWORDS - NAME_LIKE_STOPWORDS) | QUESTION_WORDS
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
