"""`faqbot check` points at the file and line of every problem an editor can make."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from faqbot.cli.commands import main
from faqbot.corpus.check import check_corpus

ARTICLE = "ketamine-infusions.md"
TODAY = date(2026, 11, 27)


def _edit(corpus: Path, old: str, new: str, name: str = ARTICLE) -> None:
    path = corpus / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _messages(corpus: Path) -> list[str]:
    return [str(p) for p in check_corpus(corpus, TODAY).problems]


def test_the_bundled_corpus_is_clean(corpus_copy: Path) -> None:
    report = check_corpus(corpus_copy, TODAY)
    assert report.ok and not report.problems and report.articles == 1


def test_missing_field_is_reported_at_its_place(corpus_copy: Path) -> None:
    _edit(corpus_copy, "url: https://clinic.example/articles/ketamine-infusions\n", "")
    assert _messages(corpus_copy) == [
        f"{corpus_copy / ARTICLE}:1: error: front matter is missing 'url'"
    ]


def test_invalid_dates_are_errors_on_their_lines(corpus_copy: Path) -> None:
    _edit(corpus_copy, "approved_on: 2026-11-20", "approved_on: 2026-13-40")
    _edit(corpus_copy, "review_by: 2027-11-20", "review_by: soon")
    messages = _messages(corpus_copy)
    assert any(m.startswith(f"{corpus_copy / ARTICLE}:6: error: 'approved_on'") for m in messages)
    assert any(m.startswith(f"{corpus_copy / ARTICLE}:7: error: 'review_by'") for m in messages)


def test_stale_review_date_is_a_warning_not_an_error(corpus_copy: Path) -> None:
    report = check_corpus(corpus_copy, date(2028, 1, 1))
    assert report.ok and report.stale == ["ketamine-infusions"]
    assert str(report.warnings[0]).startswith(
        f"{corpus_copy / ARTICLE}:7: warning: the article is stale"
    )


def test_malformed_yaml_points_at_the_line(corpus_copy: Path) -> None:
    _edit(corpus_copy, "title: Ketamine Infusions", "title: [Ketamine Infusions")
    messages = _messages(corpus_copy)
    assert len(messages) == 1 and "front matter is not valid YAML" in messages[0]
    assert messages[0].startswith(f"{corpus_copy / ARTICLE}:")


def test_duplicate_ids_anchors_empty_sections_and_orphan_text(corpus_copy: Path) -> None:
    second = corpus_copy / "zz-copy.md"
    second.write_text(
        "---\nid: ketamine-infusions\ntitle: Copy\nurl: https://clinic.example/c\nversion: 1\n"
        "approved_on: 2026-01-01\nreview_by: 2027-01-01\n---\n"
        "Orphan text.\n\n# Copy\n\n## Empty\n\n## Twice\n\nText.\n\n## Twice\n\nMore.\n",
        encoding="utf-8",
    )
    messages = _messages(corpus_copy)
    assert (
        f"{second}:2: error: duplicate article id 'ketamine-infusions': also used in "
        in "".join(messages)
    )
    assert any(m.startswith(f"{second}:9: error: text before the first heading") for m in messages)
    assert any(m.startswith(f"{second}:13: error: section 'Empty' is empty") for m in messages)
    assert any(
        m.startswith(f"{second}:19: error: duplicate section anchor '#twice'") for m in messages
    )


def test_responses_missing_a_message(corpus_copy: Path) -> None:
    text = (corpus_copy / "responses.yaml").read_text(encoding="utf-8")
    (corpus_copy / "responses.yaml").write_text(text.replace("disclaimer:", "disclaimr:"))
    messages = _messages(corpus_copy)
    assert len(messages) == 1
    assert "responses.yaml:1: error: required message 'disclaimer' is missing" in messages[0]


def test_cli_prints_file_line_and_exits_non_zero_on_errors(
    corpus_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(corpus_copy)]) == 0
    _edit(corpus_copy, "version: 1\n", "version:\n")
    assert main(["check", str(corpus_copy)]) == 1
    out = capsys.readouterr().out
    assert f"{corpus_copy / ARTICLE}:5: error: front matter is missing 'version'" in out
    assert "1 error(s), 0 warning(s) in 1 article(s)" in out


def test_build_runs_the_check_first(
    corpus_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(corpus_copy, "version: 1\n", "version:\n")
    assert main(["build", "--corpus", str(corpus_copy), "--index", str(tmp_path / "ix")]) == 1
    err = capsys.readouterr().err
    assert f"{corpus_copy / ARTICLE}:5: error: front matter is missing 'version'" in err
    assert not (tmp_path / "ix" / "current").exists()


def test_alternate_question_for_an_unknown_anchor_is_an_error_naming_file_and_anchor(
    corpus_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(corpus_copy, "  neuroplasticity:\n", "  neuro-plasticity:\n")
    [message] = _messages(corpus_copy)
    assert message.startswith(f"{corpus_copy / ARTICLE}:29: error: alternate_questions ")
    assert "'#neuro-plasticity' names no section of this article" in message
    assert main(["build", "--corpus", str(corpus_copy), "--index", str(tmp_path / "ix")]) == 1
    assert "'#neuro-plasticity' names no section" in capsys.readouterr().err
    assert not (tmp_path / "ix" / "current").exists()
