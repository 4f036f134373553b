"""Property tests (hypothesis): verbatim passages for any article text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faqbot.corpus.chunking import chunk_article
from faqbot.models import Article

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

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
