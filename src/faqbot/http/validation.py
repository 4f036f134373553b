"""The one check of visitor text, for /ask's question and /search's query alike: real text,
not empty once normalised, and within FAQBOT_MAX_QUESTION_CHARS as sent and as normalised."""

from __future__ import annotations

from typing import Literal

from faqbot.http.errors import ApiProblem
from faqbot.text.normalize import normalize_question

TextKind = Literal["question", "query"]
# Per kind: the error codes (a public contract) and how the message names the text.
_WORDS: dict[TextKind, tuple[str, str, str, str]] = {
    "question": ("question", "Please type a question.", "your question", "The question"),
    "query": ("query", 'Type something to search for in "q".', "the search", "The search"),
}


def is_valid_text(text: str) -> bool:
    """False for strings holding lone surrogates (JSON escapes allow them; Unicode text does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validated_text(raw: str, max_chars: int, kind: TextKind) -> str:
    """The normalised text, or an ApiProblem (422) with a message a person understands."""
    code, empty, named, subject = _WORDS[kind]
    if not is_valid_text(raw):
        raise ApiProblem(
            422, f"invalid_{code}", f"{subject} contains characters that are not text."
        )
    text = normalize_question(raw)
    if not text:
        raise ApiProblem(422, f"empty_{code}", empty)
    # As sent and as normalised: the schema's maxLength is on the text as sent.
    if max(len(raw), len(text)) > max_chars:
        raise ApiProblem(
            422, f"{code}_too_long", f"Please keep {named} under {max_chars} characters."
        )
    return text
