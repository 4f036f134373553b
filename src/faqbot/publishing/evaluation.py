"""Scoring faqbot on questions in the dev-set format (expect answer / fallback / emergency)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faqbot.errors import FaqbotError
from faqbot.models import Answer

KINDS = ("answer", "fallback", "emergency")
EXPECTED_STATUS = {"answer": "answered", "fallback": "fallback", "emergency": "emergency"}


@dataclass(frozen=True)
class EvalQuestion:
    """One labelled question; `accept` snippets say which passage answers it."""

    id: str
    question: str
    expect: str
    accept: tuple[str, ...]
    where: str = ""  # "file:line" it was read from, so a report can point an editor at it


@dataclass(frozen=True)
class EvalResult:
    """How one question fared."""

    question: EvalQuestion
    status: str
    correct: bool
    top_text: str | None
    non_verbatim: int
    reason: str = ""  # the decision's reason, e.g. "emergency:suicidal-thoughts"


@dataclass
class EvalReport:
    """Accuracy overall and per kind, and the safety-critical counts."""

    results: list[EvalResult] = field(default_factory=list)

    def kind_counts(self, kind: str) -> tuple[int, int]:
        rows = [r for r in self.results if r.question.expect == kind]
        return sum(r.correct for r in rows), len(rows)

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.results) / max(len(self.results), 1)

    @property
    def false_emergencies(self) -> int:
        return sum(
            r.status == "emergency" and r.question.expect != "emergency" for r in self.results
        )

    @property
    def missed_emergencies(self) -> int:
        return sum(
            r.status != "emergency" and r.question.expect == "emergency" for r in self.results
        )

    @property
    def non_verbatim(self) -> int:
        return sum(r.non_verbatim for r in self.results)

    def as_dict(self) -> dict[str, object]:
        kinds = {}
        for kind in KINDS:
            right, total = self.kind_counts(kind)
            kinds[kind] = {"correct": right, "total": total, "accuracy": right / max(total, 1)}
        return {
            "accuracy": self.accuracy,
            "questions": len(self.results),
            "kinds": kinds,
            "false_emergencies": self.false_emergencies,
            "missed_emergencies": self.missed_emergencies,
            "non_verbatim": self.non_verbatim,
            "wrong": [
                {"id": r.question.id, "expect": r.question.expect, "status": r.status}
                for r in self.results
                if not r.correct
            ],
            "results": [
                {
                    "id": r.question.id,
                    "expect": r.question.expect,
                    "status": r.status,
                    "correct": r.correct,
                    "reason": r.reason,
                }
                for r in self.results
            ],
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSONL file of labelled questions; a bad line is an error naming file:line."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            expect = row["expect"]
            if expect not in KINDS:
                raise ValueError(f"expect must be one of {KINDS}")
            accept = tuple(row.get("accept", []))
            questions.append(
                EvalQuestion(row["id"], row["question"], expect, accept, f"{path}:{number}")
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise FaqbotError(f"{path}:{number}: not a valid question line ({exc})") from exc
    return questions


def is_stale(question: EvalQuestion, bodies: Mapping[str, str]) -> bool:
    """An answer question none of whose accepted wordings any article still has: the articles
    changed under it, so it can no longer be answered right and says nothing about a version."""
    if question.expect != "answer" or not question.accept:
        return False
    return not any(snippet in body for snippet in question.accept for body in bodies.values())


def count_non_verbatim(answer: Answer, bodies: Mapping[str, str]) -> int:
    """Passages whose text is not an exact substring of their article's body."""
    return sum(h.passage.text not in bodies.get(h.passage.article_id, "") for h in answer.hits)


def is_correct(question: EvalQuestion, answer: Answer) -> bool:
    """Right outcome, and for answers the top passage holds one of the accepted snippets."""
    if answer.status != EXPECTED_STATUS[question.expect]:
        return False
    if question.expect != "answer":
        return True
    return bool(answer.hits) and any(s in answer.hits[0].passage.text for s in question.accept)


def evaluate(
    ask: Callable[[str], Answer], questions: Sequence[EvalQuestion], bodies: Mapping[str, str]
) -> EvalReport:
    """Ask every question and score it; `bodies` maps article id to its approved body."""
    report = EvalReport()
    for question in questions:
        answer = ask(question.question)
        report.results.append(
            EvalResult(
                question=question,
                status=answer.status,
                correct=is_correct(question, answer),
                top_text=answer.hits[0].passage.text if answer.hits else None,
                non_verbatim=count_non_verbatim(answer, bodies),
                reason=answer.reason,
            )
        )
    return report
