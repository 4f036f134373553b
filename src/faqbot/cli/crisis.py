"""The crisis commands: calibrate the meaning layer of the safety gate, and score it.

commands.py registers them through `register`, like the editors' commands.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from faqbot.answering.answerer import Answerer
from faqbot.cli.editor import CommandFactory
from faqbot.corpus.articles import load_articles
from faqbot.corpus.crisis_file import CRISIS_FILE, write_crisis_calibration
from faqbot.corpus.safety_rules import SAFETY_FILE, emergency_examples, load_safety_rules
from faqbot.publishing.crisis_calibration import (
    CrisisMessage,
    CrisisTraining,
    calibrate_crisis,
    load_crisis_messages,
    load_ordinary,
)
from faqbot.publishing.evaluation import load_questions
from faqbot.serving.state import load_state, query_embedder
from faqbot.settings import Settings

DEFAULT_MESSAGES = Path("tests/data/crisis_messages.jsonl")
DEFAULT_SHARED = Path("../shared/data")
EXTRA_QUESTIONS = Path("tests/data/extra_questions.jsonl")


def _labelled(settings: Settings) -> tuple[list[str], list[str]]:
    """The dev and extra questions as (emergencies, ordinary questions)."""
    paths = [settings.dev_questions, *([EXTRA_QUESTIONS] if EXTRA_QUESTIONS.is_file() else [])]
    questions = [q for path in paths for q in load_questions(path)]
    return (
        [q.question for q in questions if q.expect == "emergency"],
        [q.question for q in questions if q.expect != "emergency"],
    )


def cmd_calibrate_crisis(args: argparse.Namespace, settings: Settings) -> int:
    corpus_dir = args.corpus or settings.corpus_dir
    rules = load_safety_rules(corpus_dir / SAFETY_FILE)
    examples, owners = emergency_examples(rules)
    emergencies, ordinary_questions = _labelled(settings)
    articles = [f"{p}" for a in load_articles(corpus_dir) for p in a.body.split("\n\n") if p]
    training = CrisisTraining(
        examples=list(examples),
        example_rules=list(owners),
        positives=emergencies,
        negatives=ordinary_questions + articles,
        ordinary=load_ordinary(args.shared),
        tune=[m for m in load_crisis_messages(args.messages) if m.split == "tune"],
    )
    calibration = calibrate_crisis(
        query_embedder(settings),
        rules,
        training,
        settings.crisis_false_alarms,
        settings.crisis_recall,
    )
    path = write_crisis_calibration(
        corpus_dir / CRISIS_FILE,
        calibration,
        "faqbot calibrate-crisis (see src/faqbot/publishing/crisis_calibration.py)",
    )
    print(
        f"example cut {calibration.example_cut:.4f}, classifier cut {calibration.classifier_cut:.4f}"
    )
    print(json.dumps(calibration.figures, indent=2))
    print(f"written to {path}; run `faqbot build` to publish a version with it")
    return 0


def crisis_scores(answerer: Answerer, messages: Sequence[CrisisMessage]) -> dict[str, object]:
    """Recall per kind of crisis and false alarms on the ordinary messages, as served."""
    found: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    alarms = 0
    missed: list[str] = []
    for message in messages:
        urgent = answerer.ask(message.message).status == "emergency"
        if message.emergency:
            totals[message.kind] += 1
            found[message.kind] += urgent
            if not urgent:
                missed.append(message.id)
        else:
            alarms += urgent
    crises = sum(totals.values())
    ordinary = len(messages) - crises
    return {
        "recall": round(sum(found.values()) / max(crises, 1), 4),
        "emergencies": crises,
        "by_kind": {kind: f"{found[kind]}/{totals[kind]}" for kind in sorted(totals)},
        "false_alarm_rate": round(alarms / max(ordinary, 1), 4),
        "ordinary": ordinary,
        "missed": missed,
    }


def cmd_eval_crisis(args: argparse.Namespace, settings: Settings) -> int:
    index_dir = args.index or settings.index_dir
    embedder = query_embedder(settings.model_copy(update={"index_dir": index_dir}))
    answerer = Answerer(embedder, load_state(settings, index_dir, embedder), settings.candidates)
    messages = [m for m in load_crisis_messages(args.messages) if args.split in ("all", m.split)]
    scores = crisis_scores(answerer, messages)
    if args.shared is not None:
        ordinary = load_ordinary(args.shared)
        scores["public_false_alarms"] = {
            "trained_on": _false_alarms(answerer, ordinary.train),
            "cut_set_on": _false_alarms(answerer, ordinary.calibrate),
        }
    print(json.dumps(scores, indent=2))
    return 0


def _false_alarms(answerer: Answerer, texts: Sequence[str]) -> dict[str, float]:
    """How many ordinary texts the served gate calls an emergency (patterns and meaning)."""
    alarms = sum(answerer.ask(text).status == "emergency" for text in texts)
    return {"texts": len(texts), "rate": round(alarms / max(len(texts), 1), 5)}


def register(command: CommandFactory) -> None:
    """Add calibrate-crisis and eval-crisis to the `faqbot` command."""
    calibrate = command(
        "calibrate-crisis",
        "Train the crisis classifier and set the meaning layer's cuts (writes crisis.json).",
        cmd_calibrate_crisis,
    )
    calibrate.add_argument(
        "--messages",
        type=Path,
        default=DEFAULT_MESSAGES,
        help=f"labelled crisis messages; only the tune split is read (default: {DEFAULT_MESSAGES})",
    )
    calibrate.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help=f"folder holding clinc150/ and medquad/ (default: {DEFAULT_SHARED})",
    )
    evaluate = command(
        "eval-crisis",
        "Score labelled crisis messages through the published version's safety gate.",
        cmd_eval_crisis,
    )
    evaluate.add_argument(
        "messages",
        nargs="?",
        type=Path,
        default=DEFAULT_MESSAGES,
        help=f"labelled crisis messages (default: {DEFAULT_MESSAGES})",
    )
    evaluate.add_argument(
        "--split",
        choices=("tune", "holdout", "all"),
        default="tune",
        help="which split to score (default: tune; score the holdout once, and report it)",
    )
    evaluate.add_argument(
        "--shared",
        type=Path,
        help="also count false alarms on CLINC150 and MedQuAD questions from this folder "
        "(holding clinc150/ and medquad/), the texts calibration trained on and set cuts on",
    )
