"""The searchable index: FAISS vectors beside passages.jsonl and manifest.json, published atomically.

Layout under the index folder:
    versions/<version>/vectors.faiss   FAISS's own format (no pickle)
    versions/<version>/passages.jsonl  one passage per line, row i = vector i
    versions/<version>/manifest.json   model, dimension, corpus hash, faqbot version, build time
    versions/<version>/lexical/        BM25 (bm25s's JSON + .npy files, no pickle), row i = passage i
    versions/<version>/alternates.*    editors' alternate questions: vectors and sections (alternates.py)
    versions/<version>/<rule file>     the editors' rules and wording as built (RULE_FILES), hashed
                                       in the manifest: a rollback restores them with the passages
    current                            a pointer file naming the published version
A build writes a new version folder, verifies it, and only then replaces `current` with
os.replace, so a reader never sees a half-built index.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from faqbot import __version__
from faqbot.corpus.chunking import list_members
from faqbot.embedding.encoder import Vectors
from faqbot.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from faqbot.files import write_atomically
from faqbot.index.alternates import SectionAlternates, read_alternates, write_alternates
from faqbot.index.ann import IndexChoice, IndexPolicy, build_vector_index, read_vector_index
from faqbot.index.bm25 import LEXICAL_DIR, TOKENIZER, LexicalIndex, build_lexical
from faqbot.models import AlternateQuestion, Hit, Passage

VECTORS_FILE = "vectors.faiss"
PASSAGES_FILE = "passages.jsonl"
MANIFEST_FILE = "manifest.json"
POINTER_FILE = "current"
VERSIONS_DIR = "versions"
# The editors' files that decide what a question gets besides the passages. A build copies them
# into the version, so serving, the regression gate and a rollback all use the rules the
# passages were published with, and a half-edited file in corpus/ never reaches a server.
RULE_FILES = (
    "responses.yaml",
    "safety.yaml",
    "glossary.yaml",
    "calibration.json",
    "crisis.json",
    "answerability.json",
)


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; checked before a server trusts it."""

    version: str
    model: str
    dimension: int
    corpus_hash: str
    faqbot_version: str
    built_at: str
    passage_count: int
    index_type: str
    # Search parameters of an approximate index (e.g. nlist, nprobe) and its recall@10 against
    # exact search measured at build time; empty/None for exact flat search.
    index_params: dict[str, int] = field(default_factory=dict)
    ann_recall_at_10: float | None = None

    @property
    def index_choice(self) -> IndexChoice:
        return IndexChoice(self.index_type, dict(self.index_params), self.ann_recall_at_10)

    lexical: str = ""  # the tokeniser of the BM25 folder; "" = built before hybrid retrieval
    alternate_count: int = 0  # editors' alternate questions stored beside the passages
    # Rule files copied into the version (name -> sha256 of their bytes); None = built by a
    # faqbot that did not version them, which serving refuses (see require_rules).
    rules: dict[str, str] | None = None


class PassageIndex:
    """Passages and their vectors, searchable by inner product (cosine on unit vectors)."""

    def __init__(
        self,
        manifest: Manifest,
        passages: list[Passage],
        vectors: faiss.Index,
        lexical: LexicalIndex | None = None,
        alternates: SectionAlternates | None = None,
    ) -> None:
        self.manifest = manifest
        self.passages = passages
        self._faiss = vectors
        self.lexical = lexical or build_lexical(passages)
        self.alternates = alternates
        self.list_items = list_members(passages)
        self._matrix: npt.NDArray[np.float32] | None = None

    @property
    def version(self) -> str:
        return self.manifest.version

    def dense_scores(self, query: Vectors) -> npt.NDArray[np.float32]:
        """Cosine of one query vector (shape (1, d) or (d,)) with every passage, in row order."""
        if self._matrix is None:
            try:
                self._matrix = self._faiss.reconstruct_n(0, self._faiss.ntotal)
            except RuntimeError:  # an IVF index reconstructs only through its direct map
                faiss.extract_index_ivf(self._faiss).make_direct_map()
                self._matrix = self._faiss.reconstruct_n(0, self._faiss.ntotal)
        scores: npt.NDArray[np.float32] = self._matrix @ np.asarray(query, np.float32).reshape(-1)
        return scores

    def search(self, queries: Vectors, k: int) -> list[list[Hit]]:
        """Best k hits per query row, best first."""
        k = min(k, len(self.passages))
        scores, rows = self._faiss.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return [
            [Hit(self.passages[r], float(s)) for s, r in zip(srow, rrow, strict=True) if r >= 0]
            for srow, rrow in zip(scores, rows, strict=True)
        ]


def new_version(corpus_digest: str) -> str:
    """A sortable, unique version name: UTC build time plus the corpus digest's head."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{corpus_digest[:8]}"


def write_version(
    root: Path,
    passages: Sequence[Passage],
    vectors: Vectors,
    *,
    model: str,
    corpus_digest: str,
    policy: IndexPolicy | None = None,
    extra_files: Mapping[str, str] | None = None,
    alternates: Sequence[AlternateQuestion] = (),
    alternate_vectors: Vectors | None = None,
    rule_files: Mapping[str, bytes] | None = None,
) -> Manifest:
    """Write a complete version folder (via a temporary folder and a rename), unpublished.

    The index type follows `policy` (flat when small); an approximate index below the recall
    floor raises IndexRecallTooLow before anything is written. `alternates` (with their
    `alternate_vectors`, row for row) are stored for matching. `extra_files` (name → text) are
    written into the same folder before the rename, so other artefacts of a build (e.g.
    provenance) appear together with the vectors or not at all; `rule_files` (name → bytes) are
    copied byte for byte and their hashes recorded in the manifest.
    """
    if len(passages) != vectors.shape[0]:
        raise IndexCorrupt(f"{len(passages)} passages but {vectors.shape[0]} vectors")
    vector_index, choice = build_vector_index(vectors, policy or IndexPolicy())
    versions = root / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    manifest = _new_manifest(
        model, corpus_digest, vectors, len(passages), choice, len(alternates), rule_files
    )
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=versions))
    try:
        _write_artefacts(staging, vector_index, passages, alternates, alternate_vectors)
        for name, text in (extra_files or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        for name, content in (rule_files or {}).items():
            (staging / name).write_bytes(content)
        (staging / MANIFEST_FILE).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
        staging.rename(versions / manifest.version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _new_manifest(
    model: str,
    corpus_digest: str,
    vectors: Vectors,
    passage_count: int,
    choice: IndexChoice,
    alternate_count: int,
    rule_files: Mapping[str, bytes] | None,
) -> Manifest:
    """The manifest of a version being built now, by this faqbot, under a new version name."""
    return Manifest(
        version=new_version(corpus_digest),
        model=model,
        dimension=int(vectors.shape[1]),
        corpus_hash=corpus_digest,
        faqbot_version=__version__,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        passage_count=passage_count,
        index_type=choice.index_type,
        index_params=choice.params,
        ann_recall_at_10=choice.recall_at_10,
        lexical=TOKENIZER,
        alternate_count=alternate_count,
        rules=None if rule_files is None else {n: _sha256(b) for n, b in rule_files.items()},
    )


def _write_artefacts(
    staging: Path,
    vector_index: faiss.Index,
    passages: Sequence[Passage],
    alternates: Sequence[AlternateQuestion],
    alternate_vectors: Vectors | None,
) -> None:
    """What is searched: the vectors (FAISS's writer), BM25, the alternates and the passages."""
    faiss.write_index(vector_index, str(staging / VECTORS_FILE))
    build_lexical(passages).save(staging / LEXICAL_DIR)
    if alternates:
        if alternate_vectors is None:
            raise IndexCorrupt(f"{len(alternates)} alternate questions but no vectors")
        write_alternates(staging, alternates, alternate_vectors)
    with (staging / PASSAGES_FILE).open("w", encoding="utf-8") as out:
        for passage in passages:
            out.write(json.dumps(asdict(passage), ensure_ascii=False) + "\n")


def publish(root: Path, version: str) -> None:
    """Point `current` at a version in one atomic step (write a temp file, os.replace it)."""
    if not (root / VERSIONS_DIR / version / MANIFEST_FILE).is_file():
        raise IndexNotFound(f"version {version!r} does not exist under {root / VERSIONS_DIR}")
    write_atomically(root / POINTER_FILE, version + "\n")


def published_version(root: Path) -> str:
    """The version `current` points at; a clear error when nothing is published yet."""
    pointer = root / POINTER_FILE
    if not pointer.is_file():
        raise IndexNotFound(f"no index is published in {root}: run `faqbot build` first")
    version = pointer.read_text(encoding="utf-8").strip()
    if not version:
        raise IndexCorrupt(f"{pointer} is empty: rebuild with `faqbot build`")
    return version


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def verify_rules(folder: Path, manifest: Manifest) -> None:
    """Every rule file the manifest lists is there with the bytes it was built with."""
    for name, digest in (manifest.rules or {}).items():
        path = folder / name
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise IndexCorrupt(f"{path} is missing: rebuild with `faqbot build`") from exc
        if _sha256(content) != digest:
            raise IndexCorrupt(
                f"{path} was changed after the build (its hash differs from the manifest's); "
                "edit the file in the corpus folder and run `faqbot build`"
            )


def require_rules(manifest: Manifest, folder: Path) -> None:
    """Refuse a version built before rules were versioned: serving it would pair its passages
    with today's corpus files. (load_version has already verified the copies it lists.)"""
    if manifest.rules is None:
        raise IndexMismatch(
            f"{folder} was built by a faqbot that did not keep the safety rules and wording "
            "with the passages: rebuild with `faqbot build`"
        )


def _one_line(exc: BaseException) -> str:
    """An exception's message cut to one short line, for one-line errors."""
    return " ".join(str(exc).split())[:200]


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_FILE
    try:
        return Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"{path} is missing: rebuild with `faqbot build`") from exc
    except (ValueError, TypeError) as exc:
        raise IndexCorrupt(
            f"{path} is not a valid manifest ({_one_line(exc)}): rebuild with `faqbot build`"
        ) from exc


def read_passages(path: Path) -> list[Passage]:
    try:
        with path.open(encoding="utf-8") as lines:
            return [Passage(**json.loads(line)) for line in lines if line.strip()]
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"{path} is missing: rebuild with `faqbot build`") from exc
    except (ValueError, TypeError) as exc:
        raise IndexCorrupt(
            f"{path} is damaged ({_one_line(exc)}): rebuild with `faqbot build`"
        ) from exc


def load_version(folder: Path, model: str, dimension: int | None = None) -> PassageIndex:
    """Load and verify one version folder; refuses another model's index with a clear message."""
    manifest = read_manifest(folder)
    if manifest.model != model:
        raise IndexMismatch(
            f"{folder / MANIFEST_FILE} was built with model {manifest.model!r} but "
            f"{model!r} is configured: rebuild with `faqbot build` or set FAQBOT_MODEL"
        )
    if dimension is not None and manifest.dimension != dimension:
        raise IndexMismatch(
            f"{folder / MANIFEST_FILE} has dimension {manifest.dimension}, the model gives "
            f"{dimension}: rebuild with `faqbot build`"
        )
    vectors_path = folder / VECTORS_FILE
    if not vectors_path.is_file():
        raise IndexCorrupt(f"{vectors_path} is missing: rebuild with `faqbot build`")
    try:
        vectors = read_vector_index(vectors_path, manifest.index_choice)
    except RuntimeError as exc:
        raise IndexCorrupt(
            f"{vectors_path} is unreadable or truncated: rebuild with `faqbot build`"
        ) from exc
    passages_path = folder / PASSAGES_FILE
    passages = read_passages(passages_path)
    if not (vectors.ntotal == len(passages) == manifest.passage_count):
        raise IndexCorrupt(
            f"{passages_path} holds {len(passages)} passages but {vectors_path.name} has "
            f"{vectors.ntotal} vectors and the manifest says {manifest.passage_count}: "
            "rebuild with `faqbot build`"
        )
    if vectors.d != manifest.dimension:
        raise IndexCorrupt(
            f"{vectors_path} has dimension {vectors.d}, the manifest says "
            f"{manifest.dimension}: rebuild with `faqbot build`"
        )
    if manifest.lexical != TOKENIZER:
        raise IndexMismatch(
            f"{folder / MANIFEST_FILE} has no lexical index of this faqbot "
            f"(tokeniser {manifest.lexical or 'none'!r}, expected {TOKENIZER!r}): "
            "rebuild with `faqbot build`"
        )
    verify_rules(folder, manifest)
    lexical = LexicalIndex.load(folder / LEXICAL_DIR, len(passages))
    alternates = (
        read_alternates(folder, manifest.alternate_count, manifest.dimension, passages)
        if manifest.alternate_count
        else None
    )
    return PassageIndex(manifest, passages, vectors, lexical, alternates)


def version_folder(root: Path, version: str | None = None) -> Path:
    """The folder of `version`, or of the published one when None; a clear error when missing."""
    name = version or published_version(root)
    folder = root / VERSIONS_DIR / name
    if not folder.is_dir():
        if version is not None:
            raise IndexNotFound(
                f"version {version!r} does not exist in {root / VERSIONS_DIR} "
                "(see `faqbot versions`)"
            )
        raise IndexCorrupt(
            f"{root / POINTER_FILE} names {name!r}, which is missing: rebuild with `faqbot build`"
        )
    return folder


def load_published(root: Path, model: str, dimension: int | None = None) -> PassageIndex:
    """Load whatever `current` points at."""
    return load_version(version_folder(root), model, dimension)
