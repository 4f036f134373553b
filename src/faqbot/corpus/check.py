"""`faqbot check`: lint a corpus folder and report every problem as `file:line: message`.

Editors are not engineers, so the linter keeps going after the first problem and points at
the line to fix. Errors stop a build; warnings (a stale `review_by`) do not.
`faqbot build` runs the same check first (see publishing/build.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from faqbot.corpus.articles import (
    DATE_FIELDS,
    RESPONSES_FILE,
    anchor_line,
    article_files,
    as_date,
    field_line,
    missing_field_errors,
    missing_responses,
    parse_article,
    read_responses,
    split_front_matter,
)
from faqbot.corpus.chunking import HEADING_LINE, chunk_article, parse_blocks, slugify
from faqbot.errors import CorpusError, FaqbotError
from faqbot.models import Article

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding, printed as `file:line: severity: message`."""

    path: Path
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    @classmethod
    def from_error(cls, exc: CorpusError, path: Path) -> Problem:
        """The parser's own error as an error of the check, at its line (1 when it has none)."""
        return cls(path, exc.line or 1, "error", exc.detail)


@dataclass
class CheckReport:
    """Every problem found in a corpus, and which articles are stale."""

    problems: list[Problem] = field(default_factory=list)
    articles: int = 0
    stale: list[str] = field(default_factory=list)  # article ids past their review_by date
    parsed: list[Article] = field(default_factory=list)  # articles whose front matter is valid

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) "
            f"in {self.articles} article(s)"
        )

    def first_error(self) -> CorpusError:
        """The first error as an exception (build refuses with it)."""
        first = self.errors[0]
        more = len(self.errors) - 1
        extra = f" (and {more} more problem(s): run `faqbot check`)" if more else ""
        return CorpusError(first.message + extra, first.path, first.line)


def _front_matter_problems(
    text: str, path: Path, meta: dict[str, Any], today: date
) -> tuple[list[Problem], bool]:
    """Problems in the front matter, and whether the article is stale."""
    problems = [Problem.from_error(e, path) for e in missing_field_errors(meta, text, path)]
    dates: dict[str, date] = {}
    for name in DATE_FIELDS:
        if meta.get(name) in (None, ""):
            continue
        try:
            dates[name] = as_date(meta[name], name, path, field_line(text, name))
        except CorpusError as exc:
            problems.append(Problem.from_error(exc, path))
    stale = False
    if "approved_on" in dates and "review_by" in dates:
        found, stale = _review_problems(
            path, field_line(text, "review_by"), dates["approved_on"], dates["review_by"], today
        )
        problems.extend(found)
    if not problems:
        try:  # the parser's own rules (id and url shape) with their lines
            parse_article(text, path)
        except CorpusError as exc:
            problems.append(Problem.from_error(exc, path))
    return problems, stale


def _body_problems(body: str, body_line: int, path: Path) -> list[Problem]:
    """Duplicate anchors, empty sections and text that sits before any heading."""
    problems: list[Problem] = []
    blocks = parse_blocks(body)
    headings = _all_headings(body)
    seen: dict[str, int] = {}
    for line, _level, text in headings:
        anchor = slugify(text)
        if anchor in seen:
            problems.append(
                Problem(
                    path,
                    body_line + line - 1,
                    "error",
                    f"duplicate section anchor '#{anchor}' (heading {text!r} repeats the one on "
                    f"line {body_line + seen[anchor] - 1}): links to it would be ambiguous",
                )
            )
        else:
            seen[anchor] = line
    content_lines = {b.line for b in blocks}
    last_line = len(body.split("\n")) + 1
    for index, (line, level, text) in enumerate(headings):
        following = headings[index + 1] if index + 1 < len(headings) else None
        end = following[0] if following else last_line
        has_text = any(line < c < end for c in content_lines)
        has_subsection = following is not None and following[1] > level
        if not has_text and not has_subsection:
            problems.append(
                Problem(
                    path,
                    body_line + line - 1,
                    "error",
                    f"section {text!r} is empty: add its text or remove the heading",
                )
            )
    problems.extend(
        Problem(
            path,
            body_line + block.line - 1,
            "error",
            "text before the first heading belongs to no section: put a heading above it",
        )
        for block in blocks
        if not block.headings
    )
    return problems


def _all_headings(body: str) -> list[tuple[int, int, str]]:
    """(body line, level, text) of every Markdown heading."""
    found = []
    for number, line in enumerate(body.split("\n"), start=1):
        match = HEADING_LINE.match(line)
        if match:
            found.append((number, len(match.group(1)), match.group(2)))
    return found


def _review_problems(
    path: Path, line: int, approved_on: date, review_by: date, today: date
) -> tuple[list[Problem], bool]:
    """review_by before approved_on (an error), or past (a warning: the article is stale)."""
    if review_by < approved_on:
        message = f"'review_by' ({review_by}) is before 'approved_on' ({approved_on})"
        return [Problem(path, line, "error", message)], False
    if review_by < today:
        message = (
            f"the article is stale: its review_by date {review_by} has passed; "
            "have it reviewed and update 'review_by'"
        )
        return [Problem(path, line, "warning", message)], True
    return [], False


def _article_problems(article: Article, text: str, today: date) -> tuple[list[Problem], bool]:
    """Date problems of an article that parsed: review_by before approved_on, or stale."""
    line = field_line(text, "review_by")
    return _review_problems(article.path, line, article.approved_on, article.review_by, today)


def _alternate_problems(article: Article, text: str) -> list[Problem]:
    """Alternate questions whose anchor names no section with text: they could lift nothing."""
    if not article.alternate_questions:
        return []
    anchors = list(dict.fromkeys(p.anchor for p in chunk_article(article)))
    return [
        Problem(
            article.path,
            anchor_line(text, anchor),
            "error",
            f"alternate_questions '#{anchor}' names no section of this article with text "
            f"(its sections: {', '.join(anchors)})",
        )
        for anchor in article.alternate_questions
        if anchor not in anchors
    ]


def check_article(
    path: Path, today: date
) -> tuple[list[Problem], str | None, int, bool, Article | None]:
    """Problems of one file, its id (if readable), the id's line, whether it is stale, and the
    parsed article when its front matter is valid (parsed once: a large corpus has thousands)."""
    text = path.read_text(encoding="utf-8")
    try:
        article = parse_article(text, path)
    except CorpusError:
        article = None
    if article is not None:
        problems, stale = _article_problems(article, text, today)
        problems.extend(_body_problems(article.body, article.body_line, path))
        problems.extend(_alternate_problems(article, text))
        return problems, article.id, field_line(text, "id"), stale, article
    try:  # find every front matter problem, not only the parser's first
        meta, body, body_line = split_front_matter(text, path)
    except CorpusError as exc:
        return [Problem.from_error(exc, path)], None, 1, False, None
    problems, stale = _front_matter_problems(text, path, meta, today)
    problems.extend(_body_problems(body, body_line, path))
    article_id = str(meta["id"]) if meta.get("id") not in (None, "") else None
    return problems, article_id, field_line(text, "id"), stale, None


def check_responses(corpus_dir: Path) -> list[Problem]:
    """The parser's responses.yaml rules, with each missing message at its own line."""
    path = corpus_dir / RESPONSES_FILE
    try:
        raw, text = read_responses(path)
    except CorpusError as exc:
        return [Problem.from_error(exc, path)]
    return [
        Problem(
            path,
            field_line(text, key),
            "error",
            f"required message '{key}' is missing or empty (the wording editors approve for it)",
        )
        for key in missing_responses(raw)
    ]


def check_safety_file(corpus_dir: Path) -> list[Problem]:
    from faqbot.corpus.safety_rules import SAFETY_FILE, load_safety_rules

    path = corpus_dir / SAFETY_FILE
    try:
        load_safety_rules(path)
    except FaqbotError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        return [Problem(path, 1, "error", message)]
    return []


def check_glossary_file(corpus_dir: Path, articles: Iterable[Article] | None) -> list[Problem]:
    """The glossary parses (else an error), and each article word it names is used by some
    article (else a warning: an edit that drops a word must not stop the build; judged only
    when every article parsed, a broken article being reported on its own)."""
    from faqbot.corpus.glossary import GLOSSARY_FILE, load_glossary, unused_terms
    from faqbot.text.words import corpus_vocabulary

    path = corpus_dir / GLOSSARY_FILE
    try:
        glossary = load_glossary(corpus_dir)
    except CorpusError as exc:
        return [Problem.from_error(exc, path)]
    if articles is None:
        return []
    passages = [p for a in articles for p in chunk_article(a)]
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return [
        Problem(
            path,
            field_line(text, term),
            "warning",
            f"article word {term!r} is used by no article, so its visitor phrases lead nowhere",
        )
        for term in unused_terms(glossary, corpus_vocabulary(passages))
    ]


def check_corpus(corpus_dir: Path, today: date | None = None) -> CheckReport:
    """Lint every article, the responses and the safety rules of a corpus folder."""
    today = today or date.today()
    report = CheckReport()
    if not corpus_dir.is_dir():
        report.problems.append(Problem(corpus_dir, 1, "error", "corpus folder does not exist"))
        return report
    files = article_files(corpus_dir)
    if not files:
        report.problems.append(Problem(corpus_dir, 1, "error", "no articles (*.md) found"))
    ids: dict[str, tuple[Path, int]] = {}
    for path in files:
        problems, article_id, id_line, stale, article = check_article(path, today)
        report.articles += 1
        report.problems.extend(problems)
        if article is not None:
            report.parsed.append(article)
        if article_id is None:
            continue
        if stale:
            report.stale.append(article_id)
        if article_id in ids:
            other, other_line = ids[article_id]
            report.problems.append(
                Problem(
                    path,
                    id_line,
                    "error",
                    f"duplicate article id {article_id!r}: also used in {other}:{other_line}",
                )
            )
        else:
            ids[article_id] = (path, id_line)
    report.problems.extend(check_responses(corpus_dir))
    report.problems.extend(check_safety_file(corpus_dir))
    every_article = report.parsed if len(report.parsed) == report.articles else None
    report.problems.extend(check_glossary_file(corpus_dir, every_article))
    return report


def format_report(report: CheckReport) -> Iterable[str]:
    yield from (str(p) for p in report.problems)
    yield report.summary()
