"""Heading-aware chunking: an article body becomes verbatim passages, one per paragraph or bullet,
plus one per bullet list as a whole.

A question about a list ("who are ideal candidates?", "what are the contraindications?") is
answered by the whole list, a question about one item by that item. Every passage's text is
sliced out of the body by offsets, never rebuilt, so it is an exact substring of the approved
article by construction.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from faqbot.models import Article, Passage

SECTION_SEPARATOR = " › "
HEADING_LINE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")  # ATX: level, text
_BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+")
ID_HASH_CHARS = 10


@dataclass(frozen=True)
class Heading:
    """A Markdown heading: its level, text, unique anchor and 1-based body line."""

    level: int
    text: str
    anchor: str
    line: int


@dataclass(frozen=True)
class Block:
    """A paragraph or bullet item: where it sits in the body and under which headings."""

    start: int
    end: int
    line: int
    headings: tuple[Heading, ...]
    is_bullet: bool


def slugify(text: str) -> str:
    """GitHub-style anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return re.sub(r" ", "-", text.strip())


def _lines_with_offsets(body: str) -> Iterator[tuple[int, int, str]]:
    offset = 0
    for number, line in enumerate(body.split("\n"), start=1):
        yield number, offset, line
        offset += len(line) + 1


def parse_blocks(body: str) -> list[Block]:
    """Split a Markdown body into headings-aware blocks (paragraphs and bullet items)."""
    blocks: list[Block] = []
    stack: list[Heading] = []
    used_anchors: dict[str, int] = {}
    current: list[int] | None = None  # [start, end, line, is_bullet]

    def close() -> None:
        nonlocal current
        if current is not None:
            blocks.append(Block(current[0], current[1], current[2], tuple(stack), bool(current[3])))
        current = None

    for number, offset, line in _lines_with_offsets(body):
        heading = HEADING_LINE.match(line)
        if heading:
            close()
            level, text = len(heading.group(1)), heading.group(2)
            base = slugify(text)
            count = used_anchors.get(base, 0)
            used_anchors[base] = count + 1
            anchor = base if count == 0 else f"{base}-{count}"
            while stack and stack[-1].level >= level:
                stack.pop()
            stack.append(Heading(level, text, anchor, number))
        elif not line.strip():
            close()
        elif bullet := _BULLET.match(line):
            close()
            current = [offset + bullet.end(), offset + len(line.rstrip()), number, 1]
        elif current is not None:
            current[1] = offset + len(line.rstrip())  # continuation of a paragraph or bullet
        else:
            current = [
                offset + len(line) - len(line.lstrip()),
                offset + len(line.rstrip()),
                number,
                0,
            ]
    close()
    return blocks


def section_path(headings: tuple[Heading, ...], article_title: str) -> str:
    """The heading path a reader sees, leaving out a top heading that repeats the title."""
    names = [h.text for h in headings]
    if names and names[0] == article_title and len(names) > 1:
        names = names[1:]
    return SECTION_SEPARATOR.join(names) if names else article_title


def passage_id(article_id: str, anchor: str, text: str) -> str:
    """Stable identity from article, section and content — never from position."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_HASH_CHARS]
    return f"{article_id}:{anchor}:{digest}"


def list_spans(blocks: list[Block], body: str) -> list[Block]:
    """Each run of two or more bullet items under the same headings, as one block.

    Items belong to one list when nothing but their own lines lies between them; a paragraph or
    a heading ends the list. The block starts at the first item's bullet mark, so every item of
    the list reads "- …" (and a copied list stays a Markdown list).
    """
    spans: list[Block] = []
    run: list[Block] = []

    def close() -> None:
        if len(run) > 1:
            first, last = run[0], run[-1]
            line_start = body.rfind("\n", 0, first.start) + 1
            prefix = body[line_start : first.start]  # indentation, then the mark ("- ")
            mark = line_start + len(prefix) - len(prefix.lstrip(" \t"))
            spans.append(Block(mark, last.end, first.line, first.headings, True))
        run.clear()

    for block in blocks:
        if block.is_bullet and run and run[-1].headings == block.headings:
            run.append(block)
            continue
        close()
        if block.is_bullet:
            run.append(block)
    close()
    return spans


def chunk_article(article: Article) -> list[Passage]:
    """All passages of one article, in reading order (a whole list before its items), each an
    exact substring of its body."""
    passages: list[Passage] = []
    seen: set[str] = set()
    blocks = parse_blocks(article.body)
    ordered = sorted([*blocks, *list_spans(blocks, article.body)], key=lambda b: (b.start, -b.end))
    for block in ordered:
        text = article.body[block.start : block.end]
        if not text.strip():  # an empty bullet ("- ") holds nothing to answer with
            continue
        anchor = block.headings[-1].anchor if block.headings else slugify(article.title)
        pid = passage_id(article.id, anchor, text)
        if pid in seen:  # the same sentence twice in one section is one passage
            continue
        seen.add(pid)
        passages.append(
            Passage(
                id=pid,
                article_id=article.id,
                article_title=article.title,
                section=section_path(block.headings, article.title),
                anchor=anchor,
                url=f"{article.url}#{anchor}",
                text=text,
                version=article.version,
                approved_on=article.approved_on.isoformat(),
            )
        )
    return passages


def list_members(passages: Sequence[Passage]) -> dict[int, list[int]]:
    """Row of each whole-list passage → rows of its own items (same article and section).

    A whole list is the one kind of passage that starts at a bullet mark (an item starts after
    its mark); its items are the passages of its section that it contains.
    """
    by_section: dict[tuple[str, str], list[int]] = {}
    for row, passage in enumerate(passages):
        by_section.setdefault((passage.article_id, passage.anchor), []).append(row)
    members: dict[int, list[int]] = {}
    for row, passage in enumerate(passages):
        if not _BULLET.match(passage.text):
            continue
        section = by_section[(passage.article_id, passage.anchor)]
        items = [r for r in section if r != row and passages[r].text in passage.text]
        if items:
            members[row] = items
    return members


def heading_text(passage: Passage) -> str:
    """A passage's heading path as the encoder sees it alone: "title › section", or the title
    for a passage outside any section. Matched as its own field (answering/answerability.py)."""
    if passage.section == passage.article_title:
        return passage.article_title
    return f"{passage.article_title}{SECTION_SEPARATOR}{passage.section}"


def embedding_text(passage: Passage) -> str:
    """What the encoder sees: the article title and section path in front of the text.

    The heading context helps short passages, and the title gives every passage its article's
    subject: "Nausea and Vomiting: Some patients report nausea…" never names the drug it is
    about, yet answers "can ketamine cause vomiting?". A passage outside any section (a corpus
    of one-body articles, such as MedQuAD rows) reads "title: text".
    """
    return f"{heading_text(passage)}: {passage.text}"
