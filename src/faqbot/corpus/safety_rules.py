"""The safety gate: decides, before any retrieval, whether a question must not be answered.

The rules are data (``corpus/safety.yaml``) so that clinic editors can read and change them;
this module only loads, validates and applies them. Matching runs on the folded form of the
question (see ``normalize.fold_for_matching``), so invisible characters, look-alike letters
and missing apostrophes cannot slip past a rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import yaml

from faqbot.errors import FaqbotError
from faqbot.text.normalize import fold_for_matching

__all__ = [
    "SAFETY_FILE",
    "SafetyCategory",
    "SafetyRule",
    "SafetyRules",
    "SafetyRulesError",
    "SafetyVerdict",
    "WeakenedRule",
    "check_safety",
    "emergency_examples",
    "load_safety_rules",
    "weakened_emergency_rules",
]

SAFETY_FILE = "safety.yaml"  # in the corpus folder, and copied into every index version

SafetyCategory = Literal["emergency", "advice"]

# Emergency comes first: it is checked first and wins over advice.
_CATEGORIES: tuple[SafetyCategory, ...] = get_args(SafetyCategory)
_RULE_KEYS = frozenset({"id", "description", "patterns", "unless", "examples"})
_REQUIRED_RULE_KEYS = frozenset({"id", "description"})
_RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Backslash escapes such as \w or \S are legitimate; strip them before looking for
# characters that folded text never contains.
_REGEX_ESCAPE = re.compile(r"\\.")
_NEVER_IN_FOLDED_TEXT = re.compile(r"[A-Z'\u2018\u2019]")
# Every pattern matches whole words only: "kill myself" must not match inside "skill myselfie".
_WHOLE_WORD_PREFIX = r"(?<!\w)(?:"
_WHOLE_WORD_SUFFIX = r")(?!\w)"


class SafetyRulesError(FaqbotError, ValueError):
    """The safety rules file is missing, unreadable or malformed.

    Raised at load time so a broken rules file stops the service instead of silently
    letting unsafe questions through.
    """


@dataclass(frozen=True)
class SafetyRule:
    """One editor-written rule; patterns and exceptions are compiled, whole-word regexes."""

    id: str
    category: SafetyCategory
    description: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    examples: tuple[str, ...] = ()  # messages that mean this emergency, matched by meaning


@dataclass(frozen=True)
class SafetyRules:
    """All rules, grouped by category in the order they are checked."""

    emergency: tuple[SafetyRule, ...]
    advice: tuple[SafetyRule, ...]


@dataclass(frozen=True)
class SafetyVerdict:
    """Why a question was stopped: its category and the id of the rule that fired."""

    category: SafetyCategory
    rule_id: str


def check_safety(question: str, rules: SafetyRules) -> SafetyVerdict | None:
    """Return the first rule a question trips, emergency before advice, or None if it is safe."""
    folded = fold_for_matching(question)
    for rule in (*rules.emergency, *rules.advice):
        if _rule_matches(rule, folded):
            return SafetyVerdict(category=rule.category, rule_id=rule.id)
    return None


def emergency_examples(rules: SafetyRules) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every emergency rule's example messages in file order, and the rule each belongs to."""
    pairs = [(example, rule.id) for rule in rules.emergency for example in rule.examples]
    return tuple(e for e, _ in pairs), tuple(r for _, r in pairs)


def _rule_matches(rule: SafetyRule, folded: str) -> bool:
    """A rule fires when any pattern matches and no exception does."""
    if not any(pattern.search(folded) for pattern in rule.patterns):
        return False
    return not any(exception.search(folded) for exception in rule.unless)


@dataclass(frozen=True)
class WeakenedRule:
    """An emergency rule of the published rules that the new rules drop or narrow."""

    rule_id: str
    change: str  # what an editor would call it: "removed", "patterns removed: …", …


def _sources(patterns: tuple[re.Pattern[str], ...]) -> set[str]:
    """The editor's pattern texts back from the compiled whole-word regexes."""
    return {
        p.pattern.removeprefix(_WHOLE_WORD_PREFIX).removesuffix(_WHOLE_WORD_SUFFIX)
        for p in patterns
    }


def weakened_emergency_rules(old: SafetyRules, new: SafetyRules) -> tuple[WeakenedRule, ...]:
    """Pure: each emergency rule that is gone (deleted, or moved to advice), lost a pattern, or
    gained an exception. A rewritten pattern counts as lost: whether a new regex still catches
    everything the old one did cannot be decided in general, so a person must confirm it."""
    current = {rule.id: rule for rule in new.emergency}
    weakened = []
    for rule in old.emergency:
        kept = current.get(rule.id)
        if kept is None:
            moved = any(r.id == rule.id for r in new.advice)
            weakened.append(WeakenedRule(rule.id, "moved to advice" if moved else "removed"))
            continue
        changes = []
        lost = sorted(_sources(rule.patterns) - _sources(kept.patterns))
        if lost:
            changes.append("patterns removed or rewritten: " + ", ".join(map(repr, lost)))
        added = sorted(_sources(kept.unless) - _sources(rule.unless))
        if added:
            changes.append("new exceptions (unless): " + ", ".join(map(repr, added)))
        dropped = sorted(set(rule.examples) - set(kept.examples))
        if dropped:
            changes.append("examples removed or rewritten: " + ", ".join(map(repr, dropped)))
        if changes:
            weakened.append(WeakenedRule(rule.id, "; ".join(changes)))
    return tuple(weakened)


def load_safety_rules(path: Path) -> SafetyRules:
    """Read, validate and compile the rules file; every problem names the file and rule."""
    document = _read_yaml(path)
    if not isinstance(document, dict) or set(document) != set(_CATEGORIES):
        raise SafetyRulesError(
            f"{path}: expected exactly two top-level keys, 'emergency' and 'advice'"
        )
    seen_ids: set[str] = set()
    grouped: dict[SafetyCategory, tuple[SafetyRule, ...]] = {}
    for category in _CATEGORIES:
        entries = document[category]
        if not isinstance(entries, list) or not entries:
            raise SafetyRulesError(f"{path}: '{category}' must be a non-empty list of rules")
        rules = tuple(
            _parse_rule(path, category, position, entry)
            for position, entry in enumerate(entries, 1)
        )
        for rule in rules:
            if rule.id in seen_ids:
                raise SafetyRulesError(f"{path}: rule {rule.id!r}: id is used more than once")
            seen_ids.add(rule.id)
        grouped[category] = rules
    return SafetyRules(emergency=grouped["emergency"], advice=grouped["advice"])


def _read_yaml(path: Path) -> object:
    """Load the file, turning I/O and syntax failures into SafetyRulesError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SafetyRulesError(f"{path}: cannot read safety rules: {error}") from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SafetyRulesError(f"{path}: not valid YAML: {error}") from error


def _parse_rule(path: Path, category: SafetyCategory, position: int, entry: object) -> SafetyRule:
    """Validate one rule mapping and compile its regexes."""
    where = f"{path}: {category} rule #{position}"
    if not isinstance(entry, dict):
        raise SafetyRulesError(f"{where}: expected a mapping with id, description and patterns")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
        raise SafetyRulesError(f"{where}: 'id' must be lower-case words joined by hyphens")
    where = f"{path}: rule {rule_id!r}"
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise SafetyRulesError(f"{where}: unknown keys {sorted(unknown)}")
    missing = _REQUIRED_RULE_KEYS - set(entry)
    if missing:
        raise SafetyRulesError(f"{where}: missing keys {sorted(missing)}")
    description = entry["description"]
    if not isinstance(description, str) or not description.strip():
        raise SafetyRulesError(f"{where}: 'description' must be non-empty text")
    examples = _examples(where, category, entry.get("examples", []))
    if "patterns" not in entry and not examples:
        raise SafetyRulesError(f"{where}: needs 'patterns', 'examples' or both")
    patterns = _compile_patterns(
        where, "patterns", entry.get("patterns", []), allow_empty="patterns" not in entry
    )
    unless = _compile_patterns(where, "unless", entry.get("unless", []), allow_empty=True)
    return SafetyRule(
        id=rule_id,
        category=category,
        description=description.strip(),
        patterns=patterns,
        unless=unless,
        examples=examples,
    )


def _examples(where: str, category: SafetyCategory, entries: object) -> tuple[str, ...]:
    """Example messages: whole, distinct texts, and only on emergency rules (the meaning layer
    exists to catch crises however they are worded; advice stays with patterns)."""
    if not isinstance(entries, list):
        raise SafetyRulesError(f"{where}: 'examples' must be a list of example messages")
    if entries and category != "emergency":
        raise SafetyRulesError(f"{where}: only emergency rules can have 'examples'")
    examples: list[str] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip():
            raise SafetyRulesError(f"{where}: every entry in 'examples' must be non-empty text")
        if entry.strip() in examples:
            raise SafetyRulesError(f"{where}: example {entry.strip()!r} is listed twice")
        examples.append(entry.strip())
    return tuple(examples)


def _compile_patterns(
    where: str, key: str, sources: object, *, allow_empty: bool
) -> tuple[re.Pattern[str], ...]:
    """Compile each source as a whole-word regex, rejecting ones that could never work."""
    if not isinstance(sources, list) or not (sources or allow_empty):
        raise SafetyRulesError(f"{where}: '{key}' must be a non-empty list of patterns")
    compiled: list[re.Pattern[str]] = []
    for source in sources:
        if not isinstance(source, str) or not source.strip():
            raise SafetyRulesError(f"{where}: every entry in '{key}' must be non-empty text")
        if _NEVER_IN_FOLDED_TEXT.search(_REGEX_ESCAPE.sub("", source)):
            raise SafetyRulesError(
                f"{where}: {key} {source!r} has upper-case letters or apostrophes, "
                "which never appear in folded questions; write it in lower case without them"
            )
        try:
            pattern = re.compile(_WHOLE_WORD_PREFIX + source + _WHOLE_WORD_SUFFIX)
        except re.error as error:
            raise SafetyRulesError(
                f"{where}: {key} {source!r} is not a valid regex: {error}"
            ) from error
        if pattern.search("") is not None:
            raise SafetyRulesError(
                f"{where}: {key} {source!r} matches empty text, so every question"
            )
        compiled.append(pattern)
    return tuple(compiled)
