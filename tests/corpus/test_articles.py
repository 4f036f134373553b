"""The bundled corpus keeps every approved sentence byte for byte, and bad files are named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faqbot.corpus.articles import load_articles, load_responses, parse_article
from faqbot.errors import CorpusError

from ..conftest import CORPUS, SHARED

SOURCE = SHARED / "approved-source" / "ketamine-infusions.txt"
LAYOUT_MARKS = re.compile(r"^\s*\*\*\s*$|\s\*\*\s*$|^(#{1,6} |- )")


def _source_lines() -> list[str]:
    if not SOURCE.is_file():
        pytest.skip(f"approved source not present at {SOURCE} (../shared is read beside the repo)")
    lines = [LAYOUT_MARKS.sub("", line) for line in SOURCE.read_text(encoding="utf-8").split("\n")]
    return [line for line in lines if line.strip()]


def _body_lines() -> list[str]:
    article = parse_article((CORPUS / "ketamine-infusions.md").read_text("utf-8"), CORPUS)
    lines = []
    for line in article.body.split("\n"):
        if not line.strip():
            continue
        if line == f"# {article.title}":
            continue  # the article's own title heading, from front matter, not body text
        lines.append(LAYOUT_MARKS.sub("", line))
    return lines


def test_every_source_line_occurs_in_the_markdown_body() -> None:
    body = "\n".join(_body_lines())
    missing = [line for line in _source_lines() if line not in body]
    assert missing == []


def test_markdown_body_holds_no_text_that_is_not_in_the_source() -> None:
    source = set(_source_lines())
    extra = [line for line in _body_lines() if line not in source]
    assert extra == []


def test_curly_apostrophes_survive_conversion() -> None:
    body = (CORPUS / "ketamine-infusions.md").read_text("utf-8")
    assert "it’s essential to be aware" in body
    assert "We’ll delve" in body


def test_front_matter_has_every_required_field() -> None:
    (article,) = load_articles(CORPUS)
    assert article.id == "ketamine-infusions"
    assert article.url.startswith("https://")
    assert article.approved_on < article.review_by


def test_headings_keep_their_real_nesting() -> None:
    body = (CORPUS / "ketamine-infusions.md").read_text("utf-8")
    assert "## Potential Risks and Side Effects\n" in body
    assert "### Short-Term Side Effects\n" in body


def test_missing_front_matter_field_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    text = "---\nid: a\ntitle: A\nurl: https://x.example/a\nversion: 1\napproved_on: 2026-01-01\n---\n# A\n"
    with pytest.raises(CorpusError, match=r"a\.md:1: front matter is missing 'review_by'"):
        parse_article(text, path)


def test_invalid_date_is_reported_on_its_line(tmp_path: Path) -> None:
    text = (
        "---\nid: a\ntitle: A\nurl: https://x.example/a\nversion: 1\n"
        "approved_on: 2026-13-45\nreview_by: 2027-01-01\n---\n# A\n"
    )
    with pytest.raises(CorpusError, match=r":6: 'approved_on' must be a date"):
        parse_article(text, tmp_path / "a.md")


def test_responses_are_loaded_verbatim_and_all_present() -> None:
    responses = load_responses(CORPUS)
    assert responses.fallback.startswith("This question is best answered by a healthcare provider")
    assert "988" in responses.emergency and "911" in responses.emergency
    assert responses.disclaimer


def test_missing_response_is_an_error(corpus_copy: Path) -> None:
    (corpus_copy / "responses.yaml").write_text("fallback: hi\nemergency: call\n", "utf-8")
    with pytest.raises(CorpusError, match="disclaimer"):
        load_responses(corpus_copy)


def test_responses_that_are_not_a_mapping_are_an_error_naming_the_file(corpus_copy: Path) -> None:
    (corpus_copy / "responses.yaml").write_text("- fallback\n- emergency\n", "utf-8")
    with pytest.raises(CorpusError, match=r"responses\.yaml:1: must map message names"):
        load_responses(corpus_copy)


def test_alternate_questions_are_parsed_per_section_anchor() -> None:
    [article] = load_articles(CORPUS)
    assert article.alternate_questions["introduction"][0] == "What is ketamine?"
    assert all(1 <= len(qs) <= 3 for qs in article.alternate_questions.values())


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("  conclusion: What is the summary?\n", "must be a list of questions"),
        ("  conclusion: []\n", "must be a list of questions"),
        ('  conclusion:\n    - ""\n', "has an empty or non-text question"),
        ("  conclusion:\n    - 42\n", "has an empty or non-text question"),
    ],
)
def test_malformed_alternate_questions_are_errors_naming_file_line_and_anchor(
    tmp_path: Path, block: str, problem: str
) -> None:
    text = (CORPUS / "ketamine-infusions.md").read_text(encoding="utf-8")
    start = text.index("  conclusion:\n")
    end = text.index("  references:\n")
    path = tmp_path / "a.md"
    with pytest.raises(CorpusError) as caught:
        parse_article(text[:start] + block + text[end:], path)
    line = text[:start].count("\n") + 1
    assert str(caught.value).startswith(f"{path}:{line}: alternate_questions '#conclusion' ")
    assert problem in str(caught.value) and "\n" not in str(caught.value)


def test_alternate_questions_that_are_not_a_map_are_an_error(tmp_path: Path) -> None:
    text = (CORPUS / "ketamine-infusions.md").read_text(encoding="utf-8")
    start = text.index("alternate_questions:\n")
    end = text.index("---", start)
    broken = text[:start] + "alternate_questions:\n  - What is ketamine?\n" + text[end:]
    with pytest.raises(CorpusError, match="must map a section anchor to a list of questions"):
        parse_article(broken, tmp_path / "a.md")
