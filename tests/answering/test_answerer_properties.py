"""Property tests (hypothesis): a decision that never hands out passages with the fallback or
emergency wording."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faqbot.answering.answerer import Policy, Thresholds, decide
from faqbot.corpus.safety_rules import SAFETY_FILE, load_safety_rules
from faqbot.models import Hit, Passage
from faqbot.text.normalize import normalize_question

from ..conftest import CORPUS

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SAFETY = load_safety_rules(CORPUS / SAFETY_FILE)


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
