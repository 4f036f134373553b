"""Passages are verbatim slices with stable ids, real section paths and section anchors."""

from __future__ import annotations

from dataclasses import replace

from faqbot.corpus.articles import load_articles
from faqbot.corpus.chunking import chunk_article, list_members, passage_id, slugify

from ..conftest import CORPUS


def _passages() -> list:  # type: ignore[type-arg]
    (article,) = load_articles(CORPUS)
    return chunk_article(article)


def test_every_passage_is_an_exact_substring_of_its_article_body() -> None:
    (article,) = load_articles(CORPUS)
    passages = chunk_article(article)
    assert passages
    for passage in passages:
        assert passage.text in article.body
        assert passage.text == passage.text.strip()


def test_bullets_become_separate_passages_without_their_marker() -> None:
    texts = [p.text for p in _passages()]
    assert any(t.startswith("Dissociation: Some individuals") for t in texts)
    items = [t for t in texts if "\n" not in t]  # whole lists are the multi-line passages
    assert not any(t.startswith("- ") for t in items)


def test_a_bullet_list_is_also_one_passage_holding_all_its_items() -> None:
    passages = _passages()
    item = next(p for p in passages if p.text.startswith("Treatment-Resistant Depression:"))
    listed = next(p for p in passages if p.text.startswith("- Treatment-Resistant Depression:"))
    assert listed.text.endswith("Patients in need of rapid relief from symptoms.")
    assert "\n- Chronic Pain: Those who require" in listed.text
    assert listed.section == item.section == "Who Is a Suitable Candidate? › Ideal Candidates"
    assert passages.index(listed) == passages.index(item) - 1  # the list, then its items


def test_each_whole_list_knows_its_own_items_and_nothing_else() -> None:
    passages = _passages()
    members = list_members(passages)
    assert len(members) == 5  # side effects, long-term risks, candidates, contraindications, refs
    for row, items in members.items():
        assert passages[row].text.startswith("- ")
        assert len(items) == passages[row].text.count("\n- ") + 1
        assert all(passages[i].anchor == passages[row].anchor for i in items)


def test_a_list_never_spans_a_paragraph_or_a_heading() -> None:
    body = "# T\n\n## A\n\n- one\n- two\n\nText.\n\n- three\n\n## B\n\n- four\n- five\n"
    (article,) = load_articles(CORPUS)
    texts = [p.text for p in chunk_article(replace(article, body=body, title="T"))]
    assert "- one\n- two" in texts and "- four\n- five" in texts
    assert not any("three" in t and t != "three" for t in texts)
    assert not any("two" in t and "four" in t for t in texts)


def test_passages_carry_the_heading_path_and_deepest_anchor() -> None:
    passage = next(p for p in _passages() if p.text.startswith("Nausea and Vomiting"))
    assert passage.section == "Potential Risks and Side Effects › Short-Term Side Effects"
    assert (
        passage.url == "https://clinic.example/articles/ketamine-infusions#short-term-side-effects"
    )
    assert passage.article_title == "Ketamine Infusions"


def test_slugify_matches_github_style_anchors() -> None:
    assert slugify("Potential Risks and Side Effects") == "potential-risks-and-side-effects"
    assert slugify("Who Is a Suitable Candidate?") == "who-is-a-suitable-candidate"
    assert slugify("Short-Term Side Effects") == "short-term-side-effects"


def test_passage_ids_are_unique_and_do_not_depend_on_position() -> None:
    passages = _passages()
    assert len({p.id for p in passages}) == len(passages)
    first = passages[0]
    assert first.id == passage_id(first.article_id, first.anchor, first.text)


def test_editing_one_paragraph_changes_only_that_passage_id() -> None:
    (article,) = load_articles(CORPUS)
    before = {p.id for p in chunk_article(article)}
    edited = replace(article, body=article.body.replace("45 minutes to an hour", "an hour"))
    after = {p.id for p in chunk_article(edited)}
    assert len(before - after) == 1 and len(after - before) == 1


def test_duplicate_headings_get_distinct_anchors() -> None:
    (article,) = load_articles(CORPUS)
    body = "# T\n\n## Risks\n\nOne.\n\n## Risks\n\nTwo.\n"
    passages = chunk_article(replace(article, body=body, title="T"))
    assert [p.anchor for p in passages] == ["risks", "risks-1"]


def test_multi_line_paragraph_is_one_passage_sliced_from_the_body() -> None:
    (article,) = load_articles(CORPUS)
    body = "# T\n\n## S\n\nFirst line\ncontinues here.\n\n- bullet one\n  wraps on.\n"
    passages = chunk_article(replace(article, body=body, title="T"))
    assert [p.text for p in passages] == ["First line\ncontinues here.", "bullet one\n  wraps on."]
    assert all(p.text in body for p in passages)
