"""`faqbot import`: turn an approved plain-text or HTML article into a corpus Markdown file.

Every sentence is copied byte for byte: the importer only decides which lines are headings
(and at which level), turns list markers into Markdown bullets, and drops stray layout marks
(lines of only `**`, a dangling `**` at a line's end). Headings are detected and listed for the
editor to confirm; an outline file (one `## Heading` per line) states them exactly.

Plain text heading levels, when no outline is given: the first heading of the article and the
first after a separator line (`**`) open a major section (`##`); well-known standalone
sections (Introduction, Conclusion, References, …) are `##`, and so is the heading after a
standalone section; every other heading is a subsection (`###`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import yaml

from faqbot.errors import FaqbotError

HEADING_MAX_CHARS = 80
HEADING_MAX_WORDS = 12
STANDALONE_SECTIONS = frozenset(
    {
        "introduction",
        "overview",
        "summary",
        "conclusion",
        "conclusions",
        "references",
        "sources",
        "further reading",
        "resources",
    }
)
_MARK_LINE = re.compile(r"^[\s*_=~#-]*$")  # a line of layout marks only
_DANGLING = re.compile(r"[ \t]*(\*\*|__)[ \t]*$")
_LEADING = re.compile(r"^[ \t]*(\*\*|__)[ \t]*")
_BULLET = re.compile(r"^[ \t]*(?:[-*•◦▪–]|(\d+)[.)])[ \t]+")
_NOT_HEADING_END = re.compile(r"[.,;:!\"”’)\]]$")
_OUTLINE_LINE = re.compile(r"^(#{2,6})[ \t]+(.+?)[ \t]*$")


class ImportProblem(FaqbotError):
    """The source cannot be imported as asked (e.g. an outline heading is not in the source)."""


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "paragraph" or "bullet"
    text: str
    line: int  # 1-based line in the source (0 for HTML)
    level: int = 0  # headings only: 2..6
    marker: str = "- "  # bullets only


@dataclass(frozen=True)
class FrontMatter:
    id: str
    title: str
    url: str
    version: str = "1"
    approved_on: date = field(default_factory=date.today)
    review_by: date | None = None  # default: one year after approved_on

    def review_date(self) -> date:
        if self.review_by is not None:
            return self.review_by
        try:
            return self.approved_on.replace(year=self.approved_on.year + 1)
        except ValueError:  # 29 February
            return self.approved_on.replace(year=self.approved_on.year + 1, day=28)


@dataclass(frozen=True)
class ImportResult:
    markdown: str
    headings: tuple[Block, ...]
    dropped: tuple[int, ...]  # source lines whose layout marks were dropped


def read_outline(text: str, path: Path | None = None) -> list[tuple[int, str]]:
    """Parse an outline: one `## Heading` (or `###` …) per line; blank and `#` comment lines
    are skipped."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or re.match(r"^#[ \t]", line) or line.strip() == "#":
            continue
        match = _OUTLINE_LINE.match(line)
        if match is None:
            where = f"{path}:{number}: " if path else f"line {number}: "
            raise ImportProblem(f"{where}outline lines look like '## Heading' or '### Heading'")
        entries.append((len(match.group(1)), match.group(2)))
    return entries


def _looks_like_heading(text: str) -> bool:
    return (
        len(text) <= HEADING_MAX_CHARS
        and len(text.split()) <= HEADING_MAX_WORDS
        and not _NOT_HEADING_END.search(text)
        and (text[:1].isupper() or text[:1].isdigit())
    )


def _clean_lines(source: str) -> tuple[list[tuple[int, str, bool]], list[int]]:
    """(line number, text, separator-before) for every content line; and lines with marks."""
    lines: list[tuple[int, str, bool]] = []
    dropped: list[int] = []
    separator = False
    for number, raw in enumerate(source.splitlines(), start=1):
        text = raw.rstrip()
        if not text.strip():
            continue
        if _MARK_LINE.match(text) and not _BULLET.match(text + " x"):
            dropped.append(number)
            separator = True
            continue
        if text.count("**") % 2 == 1 or text.count("__") % 2 == 1:
            cleaned = _DANGLING.sub("", text)
            if cleaned == text:
                cleaned = _LEADING.sub("", text)
            if cleaned != text:
                dropped.append(number)
                text = cleaned
        lines.append((number, text, separator))
        separator = False
    return lines, dropped


def _text_blocks(
    source: str, title: str, outline: list[tuple[int, str]] | None
) -> tuple[list[Block], list[int]]:
    lines, dropped = _clean_lines(source)
    if lines and lines[0][1].strip() == title.strip():
        dropped.append(lines[0][0])  # the title line becomes the front matter's title
        lines = lines[1:]
    blocks: list[Block] = []
    pending = list(outline or [])
    previous_standalone = False
    seen_heading = False
    for index, (number, text, after_separator) in enumerate(lines):
        bullet = _BULLET.match(text)
        is_last = index == len(lines) - 1
        if outline is not None:
            if pending and text.strip() == pending[0][1]:
                level, heading = pending.pop(0)
                blocks.append(Block("heading", heading, number, level))
                continue
        elif not bullet and not is_last and _looks_like_heading(text.strip()):
            heading = text.strip()
            standalone = heading.lower() in STANDALONE_SECTIONS
            major = not seen_heading or after_separator or standalone or previous_standalone
            blocks.append(Block("heading", heading, number, 2 if major else 3))
            seen_heading = True
            previous_standalone = standalone
            continue
        if bullet:
            marker = f"{bullet.group(1)}. " if bullet.group(1) else "- "
            blocks.append(Block("bullet", text[bullet.end() :], number, marker=marker))
        else:
            blocks.append(Block("paragraph", text.strip(), number))
    if pending:
        level, heading = pending[0]
        raise ImportProblem(
            f"outline heading {'#' * level} {heading!r} does not match a line of the source "
            "(in order); headings must be copied exactly"
        )
    return blocks, dropped


class _HtmlBlocks(HTMLParser):
    """Collects headings, paragraphs and list items from an HTML page; skips page chrome."""

    BLOCK_TAGS = frozenset(
        {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dd", "dt"}
    )
    SKIP_TAGS = frozenset(
        {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []  # (tag, text)
        self._tag: str | None = None
        self._parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP_TAGS:
            self._skip += 1
        elif tag in self.BLOCK_TAGS:
            self._flush()
            self._tag = tag
        elif tag == "br":
            self._parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP_TAGS:
            self._skip = max(self._skip - 1, 0)
        elif tag in self.BLOCK_TAGS or tag in {"ul", "ol", "div", "section", "article", "body"}:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip and self._tag is not None:
            self._parts.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        if self._tag is not None and text:
            self.blocks.append((self._tag, text))
        self._tag, self._parts = None, []

    def close(self) -> None:
        super().close()
        self._flush()


def _html_blocks(source: str, title: str, outline: list[tuple[int, str]] | None) -> list[Block]:
    parser = _HtmlBlocks()
    parser.feed(source)
    parser.close()
    blocks: list[Block] = []
    pending = list(outline or [])
    for tag, text in parser.blocks:
        if outline is not None and pending and text == pending[0][1]:
            level, heading = pending.pop(0)
            blocks.append(Block("heading", heading, 0, level))
        elif tag == "h1" and text == title.strip():
            continue
        elif tag[0] == "h" and tag[1:].isdigit() and outline is None:
            blocks.append(Block("heading", text, 0, max(int(tag[1:]), 2)))
        elif tag == "li":
            blocks.append(Block("bullet", text, 0))
        else:
            blocks.append(Block("paragraph", text, 0))
    if pending:
        level, heading = pending[0]
        raise ImportProblem(f"outline heading {'#' * level} {heading!r} is not in the page")
    return blocks


def _yaml_value(value: str) -> str:
    """A plain scalar when YAML reads it back as the same text, else a quoted one."""
    try:
        if str(yaml.safe_load(value)) == value and "\n" not in value and ": " not in value:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def render(blocks: list[Block], meta: FrontMatter) -> str:
    """Front matter, the title as the only `#` heading, then the blocks."""
    out = [
        "---",
        f"id: {meta.id}",
        f"title: {_yaml_value(meta.title)}",
        f"url: {meta.url}",
        f"version: {_yaml_value(meta.version)}",
        f"approved_on: {meta.approved_on.isoformat()}",
        f"review_by: {meta.review_date().isoformat()}",
        "---",
        "",
        f"# {meta.title}",
    ]
    previous = "heading"
    for block in blocks:
        if block.kind == "bullet":
            if previous != "bullet":
                out.append("")
            out.append(f"{block.marker}{block.text}")
        else:
            out.append("")
            out.append(
                f"{'#' * block.level} {block.text}" if block.kind == "heading" else block.text
            )
        previous = block.kind
    return "\n".join(out) + "\n"


def import_article(
    source: str,
    meta: FrontMatter,
    *,
    html: bool = False,
    outline: list[tuple[int, str]] | None = None,
) -> ImportResult:
    """Convert one approved source into corpus Markdown; checks that no text was lost."""
    dropped: list[int] = []
    if html:
        blocks = _html_blocks(source, meta.title, outline)
    else:
        blocks, dropped = _text_blocks(source, meta.title, outline)
    if not any(b.kind != "heading" for b in blocks):
        raise ImportProblem("the source holds no text to import")
    markdown = render(blocks, meta)
    if not html:
        _verify_verbatim(source, markdown, set(dropped))
    return ImportResult(
        markdown=markdown,
        headings=tuple(b for b in blocks if b.kind == "heading"),
        dropped=tuple(sorted(dropped)),
    )


def _verify_verbatim(source: str, markdown: str, dropped: set[int]) -> None:
    """Every content line of the source (less its layout marks) is in the Markdown as is."""
    lines, _ = _clean_lines(source)
    for number, text, _sep in lines:
        bullet = _BULLET.match(text)
        content = text[bullet.end() :] if bullet else text.strip()
        if content not in markdown:
            raise ImportProblem(f"line {number} would not be copied verbatim: {content[:60]!r}")
    del dropped


def is_html(path: Path, text: str) -> bool:
    return path.suffix.lower() in {".html", ".htm"} or text.lstrip()[:15].lower().startswith(
        ("<!doctype html", "<html")
    )
