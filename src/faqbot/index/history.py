"""Published index versions: list them, roll back to one, prune old ones, diff two.

Version names sort by build time (see index.new_version), so "older" means "sorts before".
Publishing is always index.publish (an os.replace of the `current` pointer), and a version is
loaded and verified before it is published again.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from faqbot.errors import FaqbotError, IndexNotFound, IndexProblem
from faqbot.index.version import (
    PASSAGES_FILE,
    POINTER_FILE,
    VERSIONS_DIR,
    Manifest,
    load_version,
    publish,
    read_manifest,
    read_passages,
)
from faqbot.models import Passage

log = logging.getLogger("faqbot.versions")
LOCK_FILE = ".build.lock"
STAGING_PREFIX = ".building-"


class BuildInProgress(FaqbotError):
    """Another build (or rollback) holds the index folder's lock."""


@contextmanager
def index_lock(root: Path) -> Iterator[None]:
    """One writer at a time per index folder; the kernel releases it if the process dies."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildInProgress(
                f"another `faqbot build` or `faqbot rollback` is running on {root}; wait for it"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class VersionInfo:
    """One version folder as `faqbot versions` shows it."""

    version: str
    current: bool
    manifest: Manifest | None  # None when the manifest is unreadable
    problem: str | None = None


def current_version(root: Path) -> str | None:
    pointer = root / POINTER_FILE
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


def version_names(root: Path) -> list[str]:
    """Complete version folders, oldest first (staging folders of running builds excluded)."""
    folder = root / VERSIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def list_versions(root: Path) -> list[VersionInfo]:
    current = current_version(root)
    infos = []
    for name in version_names(root):
        try:
            infos.append(
                VersionInfo(name, name == current, read_manifest(root / VERSIONS_DIR / name))
            )
        except IndexProblem as exc:
            infos.append(VersionInfo(name, name == current, None, str(exc)))
    return infos


def rollback(root: Path, model: str, version: str | None = None) -> tuple[str, str]:
    """Publish `version` (default: the newest one older than current); returns (old, new).

    The target is loaded and verified against the configured model first, so a rollback never
    publishes something a server would refuse.
    """
    with index_lock(root):
        current = current_version(root)
        names = version_names(root)
        if version is None:
            older = [n for n in names if current is None or n < current]
            if not older:
                raise IndexNotFound(
                    f"no version older than {current} in {root / VERSIONS_DIR}: nothing to roll "
                    "back to (see `faqbot versions`)"
                )
            version = older[-1]
        if version not in names:
            raise IndexNotFound(
                f"version {version!r} does not exist in {root / VERSIONS_DIR} "
                "(see `faqbot versions`)"
            )
        load_version(root / VERSIONS_DIR / version, model)
        publish(root, version)
        return current or "-", version


def prune(root: Path, keep: int) -> list[str]:
    """Delete complete versions beyond the newest `keep` (never the current one) and leftover
    staging folders of interrupted builds. Call it while holding index_lock."""
    removed: list[str] = []
    current = current_version(root)
    names = version_names(root)
    for name in names[: max(len(names) - keep, 0)]:
        if name != current:
            shutil.rmtree(root / VERSIONS_DIR / name, ignore_errors=True)
            removed.append(name)
    versions = root / VERSIONS_DIR
    if versions.is_dir():
        for leftover in versions.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
            log.info("removed %s left by an interrupted build", leftover.name)
    return removed


@dataclass
class ArticleDiff:
    """Passages added, changed (same section, new text) and removed in one article."""

    added: list[Passage] = field(default_factory=list)
    changed: list[tuple[Passage, Passage]] = field(default_factory=list)  # (old, new)
    removed: list[Passage] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def diff_passages(old: list[Passage], new: list[Passage]) -> dict[str, ArticleDiff]:
    """Per article: passages whose id (article, anchor, text hash) appeared or disappeared.

    Within one section, a disappeared and an appeared passage are paired up as "changed" in
    reading order; the rest are "added" or "removed".
    """
    old_ids = {p.id for p in old}
    new_ids = {p.id for p in new}
    gone: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    came: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for p in old:
        if p.id not in new_ids:
            gone[(p.article_id, p.anchor)].append(p)
    for p in new:
        if p.id not in old_ids:
            came[(p.article_id, p.anchor)].append(p)
    diffs: dict[str, ArticleDiff] = defaultdict(ArticleDiff)
    for key in sorted(set(gone) | set(came)):
        before, after = gone.get(key, []), came.get(key, [])
        pairs = min(len(before), len(after))
        diff = diffs[key[0]]
        diff.changed.extend(zip(before[:pairs], after[:pairs], strict=True))
        diff.removed.extend(before[pairs:])
        diff.added.extend(after[pairs:])
    return dict(sorted(diffs.items()))


def published_passages(root: Path) -> list[Passage] | None:
    """Passages of the published version, or None when nothing (readable) is published."""
    current = current_version(root)
    if current is None:
        return None
    try:
        return read_passages(root / VERSIONS_DIR / current / PASSAGES_FILE)
    except IndexProblem:
        return None


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_diff(diffs: dict[str, ArticleDiff], verbose: bool = True) -> list[str]:
    if not diffs:
        return ["no passage changed"]
    lines = []
    for article_id, d in diffs.items():
        lines.append(
            f"{article_id}: {len(d.added)} added, {len(d.changed)} changed, "
            f"{len(d.removed)} removed"
        )
        if verbose:
            lines += [f"  + [{p.section}] {_short(p.text)}" for p in d.added]
            lines += [f"  ~ [{n.section}] {_short(n.text)}" for _, n in d.changed]
            lines += [f"  - [{p.section}] {_short(p.text)}" for p in d.removed]
    return lines
