"""Reading approved articles (Markdown with YAML front matter) and the editors' responses."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from faqbot.errors import CorpusError
from faqbot.models import Article, Responses

FRONT_MATTER_FIELDS = ("id", "title", "url", "version", "approved_on", "review_by")
DATE_FIELDS = ("approved_on", "review_by")
RESPONSE_KEYS = ("fallback", "emergency", "disclaimer")
RESPONSES_FILE = "responses.yaml"
ARTICLE_GLOB = "*.md"
FENCE = "---"
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """Return (front matter, body, body's first line number) of one article file."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        raise CorpusError("the file must start with '---' front matter", path, 1)
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == FENCE:
            header = "\n".join(lines[1 : number - 1])
            body = "\n".join(lines[number:])
            return _parse_yaml(header, path), body, number + 1
    raise CorpusError("front matter is not closed with '---'", path, 1)


# libyaml's parser when present: parsing front matter is most of a large corpus's rebuild time.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextDatesLoader(_SafeLoader):  # type: ignore[valid-type, misc]
    """Leaves dates as text, so a bad date is reported on its own line by as_date."""


_TextDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def yaml_error_line(exc: yaml.YAMLError, first_line: int = 1) -> int:
    """The file line of a YAML error in text that starts at `first_line` (1 when unknown)."""
    mark = getattr(exc, "problem_mark", None)
    return int(mark.line) + first_line if mark is not None else 1


def _parse_yaml(header: str, path: Path) -> dict[str, Any]:
    try:
        meta = yaml.load(header, Loader=_TextDatesLoader) or {}
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc, first_line=2)  # the header starts below the opening '---'
        raise CorpusError(f"front matter is not valid YAML: {exc}", path, line) from exc
    if not isinstance(meta, dict):
        raise CorpusError("front matter must be a mapping of fields", path, 2)
    return meta


def field_line(text: str, name: str) -> int:
    """1-based line of a front-matter field, so messages point where the editor must look."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(f"{name}:"):
            return number
    return 1


def missing_field_errors(meta: Mapping[str, Any], text: str, path: Path) -> list[CorpusError]:
    """One error per required front-matter field that is absent or empty, at its line."""
    return [
        CorpusError(f"front matter is missing '{name}'", path, field_line(text, name))
        for name in FRONT_MATTER_FIELDS
        if meta.get(name) in (None, "")
    ]


def as_date(value: Any, name: str, path: Path, line: int) -> date:
    """A front-matter date; CorpusError at `line` when it is not an ISO date."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CorpusError(
            f"'{name}' must be a date like 2026-01-31, got {value!r}", path, line
        ) from exc


def anchor_line(text: str, anchor: str) -> int:
    """1-based line of an anchor's key under `alternate_questions:` (its field's line if absent)."""
    start = field_line(text, "alternate_questions")
    key = re.compile(rf"^[ \t]+['\"]?{re.escape(anchor)}['\"]?[ \t]*:")
    for number, line in enumerate(text.split("\n")[start:], start=start + 1):
        if key.match(line):
            return number
    return start


def _alternate_questions(raw: Any, text: str, path: Path) -> dict[str, tuple[str, ...]]:
    """The front matter's anchor → questions map; each value a list of non-empty questions.

    Whether each anchor names a section of the body is checked by `faqbot check` (chunking
    knows the anchors), so a typo stops the build there.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CorpusError(
            "'alternate_questions' must map a section anchor to a list of questions",
            path,
            field_line(text, "alternate_questions"),
        )
    alternates: dict[str, tuple[str, ...]] = {}
    for anchor, questions in raw.items():
        line = anchor_line(text, str(anchor))
        if not isinstance(questions, list) or not questions:
            raise CorpusError(
                f"alternate_questions '#{anchor}' must be a list of questions (\"- ...\" lines)",
                path,
                line,
            )
        if any(not isinstance(q, str) or not q.strip() for q in questions):
            raise CorpusError(
                f"alternate_questions '#{anchor}' has an empty or non-text question", path, line
            )
        alternates[str(anchor)] = tuple(q.strip() for q in questions)
    return alternates


def parse_article(text: str, path: Path) -> Article:
    """Parse one article file; raises CorpusError with file:line on the first problem."""
    meta, body, body_line = split_front_matter(text, path)
    missing = missing_field_errors(meta, text, path)
    if missing:
        raise missing[0]
    article_id = str(meta["id"])
    if not _ID_PATTERN.match(article_id):
        raise CorpusError(
            f"'id' must be lower-case letters, digits and hyphens, got {article_id!r}",
            path,
            field_line(text, "id"),
        )
    url = str(meta["url"])
    if not url.startswith(("https://", "http://")) or "#" in url:
        raise CorpusError(
            f"'url' must be an http(s) address without '#', got {url!r}",
            path,
            field_line(text, "url"),
        )
    alternates = _alternate_questions(meta.get("alternate_questions"), text, path)
    return Article(
        id=article_id,
        title=str(meta["title"]),
        url=url,
        version=str(meta["version"]),
        approved_on=as_date(
            meta["approved_on"], "approved_on", path, field_line(text, "approved_on")
        ),
        review_by=as_date(meta["review_by"], "review_by", path, field_line(text, "review_by")),
        body=body,
        path=path,
        body_line=body_line,
        alternate_questions=alternates,
    )


def article_files(corpus_dir: Path) -> list[Path]:
    """The article files of a corpus folder, in a stable order."""
    return sorted(p for p in corpus_dir.glob(ARTICLE_GLOB) if p.is_file())


def load_articles(corpus_dir: Path) -> list[Article]:
    """Every article in the folder; duplicate ids are an error (answers must say which)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    articles = [parse_article(p.read_text(encoding="utf-8"), p) for p in article_files(corpus_dir)]
    if not articles:
        raise CorpusError(f"no articles (*.md) found in {corpus_dir}")
    seen: dict[str, Path] = {}
    for article in articles:
        if article.id in seen:
            raise CorpusError(
                f"duplicate article id {article.id!r} (also in {seen[article.id]})", article.path, 1
            )
        seen[article.id] = article.path
    return articles


def read_responses(path: Path) -> tuple[dict[str, Any], str]:
    """responses.yaml's mapping and its text; CorpusError (with its line) when the file is
    missing, not YAML or not a mapping."""
    if not path.is_file():
        raise CorpusError(f"{RESPONSES_FILE} is missing from the corpus folder", path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"not valid YAML: {exc}", path, yaml_error_line(exc)) from exc
    if not isinstance(raw, dict):
        raise CorpusError("must map message names to their wording", path, 1)
    return raw, text


def missing_responses(raw: Mapping[str, Any]) -> list[str]:
    """The required messages that are absent or empty."""
    return [key for key in RESPONSE_KEYS if not str(raw.get(key) or "").strip()]


def load_responses(corpus_dir: Path) -> Responses:
    """The editors' fixed wording; every key must be present and non-empty."""
    path = corpus_dir / RESPONSES_FILE
    raw, _ = read_responses(path)
    missing = missing_responses(raw)
    if missing:
        raise CorpusError(f"missing required message(s): {', '.join(missing)}", path, 1)
    return Responses(**{key: str(raw[key]).strip() for key in RESPONSE_KEYS})


def corpus_hash(paths: Iterable[Path]) -> str:
    """A digest of the files' names and bytes: the index records which corpus it was built from."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
