"""Alternate questions: phrasings editors attach to a section, matched but never shown.

Build: every alternate is embedded alone (as a visitor's question is) through the embedding
cache, and stored in the version folder beside the passages:
    alternates.faiss   the vectors (FAISS's own format, no pickle), row i = alternate i
    alternates.jsonl   row i = the section of alternate i (article id and anchor)
The question text itself is not stored, so nothing that serves answers can show it.

Query: SectionAlternates gives each section's best alternate cosine with a question; whether
that vouches for a section, and how far it lifts it, is answering/alternates.py's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from faqbot.embedding.encoder import Vectors
from faqbot.errors import IndexCorrupt
from faqbot.models import AlternateQuestion, Article, Passage

ALTERNATE_VECTORS_FILE = "alternates.faiss"
ALTERNATES_FILE = "alternates.jsonl"
Floats = npt.NDArray[np.float32]
Section = tuple[str, str]  # (article id, anchor)


def collect_alternates(articles: Sequence[Article]) -> list[AlternateQuestion]:
    """Every alternate question of the corpus, in article and front-matter order."""
    return [
        AlternateQuestion(article.id, anchor, question)
        for article in articles
        for anchor, questions in article.alternate_questions.items()
        for question in questions
    ]


def alternate_text(alternate: AlternateQuestion) -> str:
    """What the encoder sees: the question alone, like a visitor's, so the two compare."""
    return alternate.question


class SectionAlternates:
    """Alternate vectors grouped by section, and the passage rows of each section."""

    def __init__(self, sections: Sequence[Section], vectors: Floats, passages: Sequence[Passage]):
        rows: dict[Section, list[int]] = {}
        for row, passage in enumerate(passages):
            rows.setdefault((passage.article_id, passage.anchor), []).append(row)
        self.sections = list(dict.fromkeys(sections))
        missing = [s for s in self.sections if s not in rows]
        if missing:
            raise IndexCorrupt(
                f"alternate questions name section(s) with no passage: "
                f"{', '.join(f'{a}#{anchor}' for a, anchor in missing[:5])}"
            )
        number = {section: i for i, section in enumerate(self.sections)}
        self.section_of = np.array([number[s] for s in sections], dtype=np.int64)
        self.section_rows = [np.array(rows[s], dtype=np.int64) for s in self.sections]
        self.vectors = vectors

    def __len__(self) -> int:
        return len(self.section_of)

    def best_per_section(self, query: Vectors) -> Floats:
        """Each section's best alternate cosine with the question."""
        similarities = self.vectors @ np.asarray(query, np.float32).reshape(-1)
        best = np.full(len(self.sections), -np.inf, dtype=np.float32)
        np.maximum.at(best, self.section_of, similarities)
        return best


def write_alternates(
    folder: Path, alternates: Sequence[AlternateQuestion], vectors: Vectors
) -> None:
    """The alternates' sections and vectors, into a version folder being built."""
    if len(alternates) != vectors.shape[0]:
        raise IndexCorrupt(f"{len(alternates)} alternate questions but {vectors.shape[0]} vectors")
    flat = faiss.IndexFlatIP(int(vectors.shape[1]))
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(flat, str(folder / ALTERNATE_VECTORS_FILE))
    with (folder / ALTERNATES_FILE).open("w", encoding="utf-8") as out:
        for alternate in alternates:
            row = {"article_id": alternate.article_id, "anchor": alternate.anchor}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_sections(path: Path) -> list[Section]:
    try:
        with path.open(encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines if line.strip()]
        return [(str(row["article_id"]), str(row["anchor"])) for row in rows]
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"{path} is missing: rebuild with `faqbot build`") from exc
    except (ValueError, TypeError, KeyError) as exc:
        raise IndexCorrupt(f"{path} is damaged: rebuild with `faqbot build`") from exc


def read_alternates(
    folder: Path, count: int, dimension: int, passages: Sequence[Passage]
) -> SectionAlternates:
    """Load and verify a version's alternates: as many as the manifest says, each naming a
    section that has passages."""
    vectors_path = folder / ALTERNATE_VECTORS_FILE
    if not vectors_path.is_file():
        raise IndexCorrupt(f"{vectors_path} is missing: rebuild with `faqbot build`")
    try:
        stored = faiss.read_index(str(vectors_path))
    except RuntimeError as exc:
        raise IndexCorrupt(
            f"{vectors_path} is unreadable or truncated: rebuild with `faqbot build`"
        ) from exc
    sections = _read_sections(folder / ALTERNATES_FILE)
    if not (stored.ntotal == len(sections) == count) or stored.d != dimension:
        raise IndexCorrupt(
            f"{folder / ALTERNATES_FILE} holds {len(sections)} alternate questions, "
            f"{vectors_path.name} {stored.ntotal} vectors of dimension {stored.d}, the manifest "
            f"says {count} of dimension {dimension}: rebuild with `faqbot build`"
        )
    vectors: Floats = stored.reconstruct_n(0, stored.ntotal)
    return SectionAlternates(sections, vectors, passages)
