"""Property tests (hypothesis): verbatim passages for any article text, and a decision that never
hands out passages with the fallback or emergency wording."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faqbot.answering.answerer import SAFETY_FILE, Policy, Thresholds, decide
from faqbot.corpus.chunking import chunk_article
from faqbot.corpus.safety_rules import load_safety_rules
from faqbot.models import Article, Hit, Passage
from faqbot.text.normalize import normalize_question

from .conftest import CORPUS

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SAFETY = load_safety_rules(CORPUS / SAFETY_FILE)

# Lines of every kind the chunker reacts to, filled with arbitrary text (any Unicode, including
# tabs, carriage returns, '#', '*', digits and look-alike spaces).
free_text = st.text(min_size=0, max_size=40)
line = st.one_of(
    free_text,
    st.builds(lambda n, t: "#" * n + " " + t, st.integers(1, 7), free_text),
    st.builds(lambda m, t: f"{m} {t}", st.sampled_from(["-", "*", "+", "1.", "2)"]), free_text),
    st.builds(lambda t: "   " + t, free_text),
    st.just(""),
)
bodies = st.lists(line, max_size=30).map("\n".join) | st.text(max_size=300)


def _article(body: str) -> Article:
    return Article(
        id="a",
        title="T",
        url="https://clinic.example/articles/a",
        version="1",
        approved_on=date(2026, 1, 1),
        review_by=date(2027, 1, 1),
        body=body,
        path=Path("a.md"),
        body_line=1,
    )


@PROPERTY_SETTINGS
@given(bodies)
def test_every_passage_is_an_exact_substring_of_its_article_for_any_text(body: str) -> None:
    passages = chunk_article(_article(body))
    for passage in passages:
        assert passage.text in body
        assert passage.text.strip()  # never an empty or blank passage
    assert len({p.id for p in passages}) == len(passages)


def _hit(score: float, n: int) -> Hit:
    passage = Passage(
        id=f"a:s{n}:x",
        article_id="a",
        article_title="A",
        section="S",
        anchor=f"s{n}",
        url=f"https://clinic.example/a#s{n}",
        text=f"passage {n}",
        version="1",
        approved_on="2026-01-01",
    )
    return Hit(passage, score)


scores = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
hit_lists = st.lists(scores, max_size=10).map(
    lambda s: [_hit(score, i) for i, score in enumerate(sorted(s, reverse=True))]
)
policies = st.builds(
    lambda answer, related, most, margin: Policy(
        Thresholds(answer=max(answer, related), related=min(answer, related)), SAFETY, most, margin
    ),
    scores,
    scores,
    st.integers(1, 10),
    st.floats(0.0, 1.0),
)
# Free text, and free text around phrases the safety rules know, so both gates are exercised.
questions = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda a, phrase, b: f"{a} {phrase} {b}",
        st.text(max_size=30),
        st.sampled_from(
            [
                "I want to kill myself",
                "overdose",
                "chest pain",
                "how much ketamine should I take",
                "can I stop my antidepressant",
                "I am pregnant",
                "How long does a session take",
            ]
        ),
        st.text(max_size=30),
    ),
)


@PROPERTY_SETTINGS
@given(questions, hit_lists, policies)
def test_decide_never_returns_passages_for_fallback_or_emergency(
    question: str, hits: list[Hit], policy: Policy
) -> None:
    decision = decide(normalize_question(question), hits, policy)
    if decision.status in ("fallback", "emergency"):
        assert decision.hits == ()
    if decision.status == "emergency":
        assert decision.related == ()
    if decision.status == "answered":
        assert 1 <= len(decision.hits) <= policy.max_passages
        assert all(h.score >= policy.thresholds.answer for h in decision.hits)
