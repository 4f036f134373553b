"""`faqbot import` reproduces the committed ketamine article from its approved source, byte for
byte (all but the alternate questions editors added afterwards), and keeps every sentence of a
source verbatim."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from faqbot.cli.commands import main
from faqbot.corpus.check import check_corpus
from faqbot.corpus.importer import FrontMatter, ImportProblem, import_article, read_outline

from ..conftest import CORPUS, REPO

DATA = REPO / "tests" / "data" / "import"
SOURCE = DATA / "ketamine-infusions.txt"
SHARED_SOURCE = REPO.parent / "shared" / "approved-source" / "ketamine-infusions.txt"
ARGS = [
    "--id",
    "ketamine-infusions",
    "--title",
    "Ketamine Infusions",
    "--url",
    "https://clinic.example/articles/ketamine-infusions",
    "--approved-on",
    "2026-11-20",
]
META = FrontMatter(
    "ketamine-infusions",
    "Ketamine Infusions",
    "https://clinic.example/articles/ketamine-infusions",
    "1",
    date(2026, 11, 20),
)


def _as_imported() -> bytes:
    """The committed article without what editors added after importing it: the
    `alternate_questions` block of its front matter (a comment line, the key and its map)."""
    lines = (CORPUS / "ketamine-infusions.md").read_text("utf-8").split("\n")
    start = lines.index("alternate_questions:") - 1
    end = lines.index("---", start)
    added = lines[start:end]
    assert added[0].startswith("# ") and all(line.startswith("  ") for line in added[2:])
    return "\n".join(lines[:start] + lines[end:]).encode("utf-8")


def test_the_test_copy_of_the_source_is_the_approved_one() -> None:
    if not SHARED_SOURCE.is_file():
        pytest.skip(f"approved source not present at {SHARED_SOURCE}")
    assert SOURCE.read_bytes() == SHARED_SOURCE.read_bytes()


def test_import_command_reproduces_the_committed_article(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ketamine-infusions.md"
    assert main(["import", str(SOURCE), *ARGS, "--output", str(out)]) == 0
    assert out.read_bytes() == _as_imported()
    printed = capsys.readouterr().out
    assert "line    2: ## Introduction" in printed
    assert "line   28: ### Short-Term Side Effects" in printed
    assert "layout marks dropped on line(s) 14, 15, 24, 25, 37, 38, 50, 51" in printed


def test_outline_gives_the_levels_and_reproduces_the_article_too(tmp_path: Path) -> None:
    out = tmp_path / "k.md"
    outline = DATA / "ketamine-infusions.outline"
    assert (
        main(["import", str(SOURCE), *ARGS, "--outline", str(outline), "--output", str(out)]) == 0
    )
    assert out.read_bytes() == _as_imported()


def test_outline_overrides_detection(tmp_path: Path) -> None:
    outline = read_outline("## Introduction\n## Conclusion\n")
    result = import_article(SOURCE.read_text("utf-8"), META, outline=outline)
    assert [(h.level, h.text) for h in result.headings] == [(2, "Introduction"), (2, "Conclusion")]
    # the other heading-like lines are kept as paragraphs, verbatim
    assert "\n\nMechanism of Action\n\n" in result.markdown


def test_outline_heading_missing_from_source_is_refused() -> None:
    with pytest.raises(ImportProblem, match="Side Effects Galore"):
        import_article(SOURCE.read_text("utf-8"), META, outline=[(2, "Side Effects Galore")])


def test_every_source_sentence_is_byte_identical_and_nothing_is_added() -> None:
    source = SOURCE.read_text("utf-8")
    markdown = import_article(source, META).markdown
    body = markdown.split("---\n", 2)[2]
    source_lines = {line.rstrip().removesuffix(" **") for line in source.splitlines()}
    source_lines.discard("**")
    for line in source_lines:
        assert line.removeprefix("- ") in body
    for line in body.splitlines():
        text = line.lstrip("#").strip().removeprefix("- ")
        assert not text or text == "Ketamine Infusions" or any(text in s for s in source_lines)


def test_html_page_is_imported_with_its_headings_and_bullets(tmp_path: Path) -> None:
    page = tmp_path / "sleep.html"
    page.write_text(
        "<!doctype html><html><head><title>x</title><style>p{}</style></head><body>"
        "<nav><a href='/'>Home</a></nav><h1>Sleep Hygiene</h1>"
        "<p>Good sleep matters &amp; it’s learnable.</p>"
        "<h2>Habits</h2><p>Keep a regular\n   schedule.</p><ul><li>No screens late.</li>"
        "<li>Dark, cool room.</li></ul><h3>Caffeine</h3><p>Avoid it after noon.</p>"
        "<footer>© clinic</footer></body></html>",
        encoding="utf-8",
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("responses.yaml", "safety.yaml"):
        (corpus / name).write_bytes((CORPUS / name).read_bytes())
    args = ["--id", "sleep", "--title", "Sleep Hygiene", "--url", "https://clinic.example/s"]
    assert main(["import", str(page), *args, "--corpus", str(corpus)]) == 0
    text = (corpus / "sleep.md").read_text("utf-8")
    assert text.split("---\n", 2)[2] == (
        "\n# Sleep Hygiene\n\nGood sleep matters & it’s learnable.\n\n## Habits\n\n"
        "Keep a regular schedule.\n\n- No screens late.\n- Dark, cool room.\n\n### Caffeine\n\n"
        "Avoid it after noon.\n"
    )
    assert "Home" not in text and "clinic</" not in text and "©" not in text
    assert check_corpus(corpus).ok


def test_import_does_not_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k.md"
    out.write_text("keep me")
    assert main(["import", str(SOURCE), *ARGS, "--output", str(out)]) == 1
    assert out.read_text() == "keep me" and "--force" in capsys.readouterr().err
