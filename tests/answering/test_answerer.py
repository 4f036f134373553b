"""The decision table: emergency always wins, advice and weak matches fall back, answers are
verbatim passages best first."""

from __future__ import annotations

import pytest

from faqbot.answering.answerer import Policy, Thresholds, decide
from faqbot.corpus.safety_rules import SAFETY_FILE, load_safety_rules
from faqbot.models import Hit, Passage

from ..conftest import CORPUS

POLICY = Policy(
    thresholds=Thresholds(answer=0.5, related=0.3),
    safety=load_safety_rules(CORPUS / SAFETY_FILE),
    max_passages=3,
    margin=0.1,
)


def _hit(score: float, anchor: str = "s", text: str = "text") -> Hit:
    passage = Passage(
        id=f"a:{anchor}:{score}",
        article_id="a",
        article_title="A",
        section="S",
        anchor=anchor,
        url=f"https://x.example/a#{anchor}",
        text=text,
        version="1",
        approved_on="2026-01-01",
    )
    return Hit(passage, score)


STRONG = [_hit(0.8, "one"), _hit(0.75, "two"), _hit(0.72, "three"), _hit(0.71, "four")]


@pytest.mark.parametrize(
    ("question", "hits", "status"),
    [
        ("How long is each session?", STRONG, "answered"),
        ("How long is each session?", [_hit(0.4)], "fallback"),
        ("How long is each session?", [], "fallback"),
        ("I am going to end my life", STRONG, "emergency"),
        ("I want to die, how long is a session?", STRONG, "emergency"),
        ("How many milligrams are in a typical dose?", STRONG, "fallback"),
        ("Can I combine ketamine with Xanax?", STRONG, "fallback"),
    ],
)
def test_decision_table(question: str, hits: list[Hit], status: str) -> None:
    assert decide(question, hits, POLICY).status == status


def test_fallback_and_emergency_never_carry_passages() -> None:
    for question in ("I am going to end my life", "How many milligrams are in a typical dose?"):
        decision = decide(question, STRONG, POLICY)
        assert decision.hits == () and decision.related == ()


def test_answer_has_at_most_max_passages_best_first() -> None:
    decision = decide("How long is each session?", STRONG, POLICY)
    assert [h.score for h in decision.hits] == [0.8, 0.75, 0.72]


def test_extra_passages_must_be_close_to_the_best_one() -> None:
    decision = decide("q", [_hit(0.9, "a"), _hit(0.6, "b")], POLICY)
    assert [h.passage.anchor for h in decision.hits] == ["a"]


def test_near_misses_become_related_links_one_per_section() -> None:
    hits = [_hit(0.45, "a"), _hit(0.44, "a"), _hit(0.35, "b"), _hit(0.2, "c")]
    decision = decide("q", hits, POLICY)
    assert decision.status == "fallback"
    assert [p.anchor for p in decision.related] == ["a", "b"]


def test_out_of_scope_falls_back_without_passages_or_links() -> None:
    from faqbot.answering.scope import ScopeVerdict

    outside = ScopeVerdict(in_scope=False, gap=2.0, unknown_terms=1)
    decision = decide("What are the side effects of sertraline?", STRONG, POLICY, outside)
    assert (decision.status, decision.hits, decision.related) == ("fallback", (), ())
    assert decision.reason == "out-of-scope"
    inside = ScopeVerdict(in_scope=True, gap=0.0, unknown_terms=0)
    assert decide("How long is each session?", STRONG, POLICY, inside).status == "answered"
    emergency = decide("I am going to end my life", STRONG, POLICY, outside)
    assert emergency.status == "emergency"
