"""The editors' commands: check, build, import, versions, rollback.

commands.py registers them through `register`; they print plain lines an editor can act on.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from faqbot.corpus.check import check_article, check_corpus, format_report
from faqbot.corpus.importer import FrontMatter, import_article, is_html, read_outline
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.index.ann import IndexPolicy
from faqbot.index.history import format_diff, list_versions, rollback
from faqbot.publishing.build import BuildReport, build_index
from faqbot.publishing.evaluation import load_questions
from faqbot.serving.state import gate_config
from faqbot.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
CommandFactory = Callable[[str, str, Handler], argparse.ArgumentParser]


def _dirs(args: argparse.Namespace, settings: Settings) -> tuple[Path, Path]:
    corpus = getattr(args, "corpus_dir", None) or args.corpus or settings.corpus_dir
    return corpus, args.index or settings.index_dir


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    corpus_dir, _ = _dirs(args, settings)
    report = check_corpus(corpus_dir)
    for line in format_report(report):
        print(line)
    return 0 if report.ok else 1


def print_build(report: BuildReport, quiet: bool) -> None:
    m = report.manifest
    if not quiet:
        for line in format_diff(report.diff):
            print(line)
        if report.gate is not None:
            for line in report.gate.lines():
                print(line)
        for name in report.pruned:
            print(f"pruned old version {name}")
    if report.published and not quiet and m.ann_recall_at_10 is not None:
        print(f"index {m.index_type} {m.index_params}: recall@10 vs exact {m.ann_recall_at_10:.3f}")
    if report.published:
        print(
            f"built and published {m.version}: {m.passage_count} passages from "
            f"{report.articles} article(s), {report.embedded} embedded now, "
            f"{report.seconds:.1f}s"
        )
    elif report.gate is not None:
        for line in report.gate.refusal():
            print(line, file=sys.stderr)


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    corpus_dir, index_dir = _dirs(args, settings)
    say = None if args.quiet else print
    checked = check_corpus(corpus_dir)  # fail fast, before loading the model
    if not checked.ok:
        for line in format_report(checked):
            print(line, file=sys.stderr)
        print(
            "faqbot: build stopped: fix the errors above (nothing was published)", file=sys.stderr
        )
        return 1
    questions_path: Path = args.questions or settings.dev_questions
    gate = None
    if not args.no_gate and questions_path.is_file():
        gate = gate_config(settings, index_dir, load_questions(questions_path))
    elif not args.no_gate and not args.quiet:
        print(f"no dev questions at {questions_path}: regression gate skipped")
    report = build_index(
        corpus_dir,
        index_dir,
        SentenceTransformerEmbedder(settings.model),
        IndexPolicy(settings.flat_max_passages, settings.min_ann_recall),
        quiet=args.quiet,
        use_cache=not args.no_cache,
        gate=gate,
        force=args.force,
        keep=settings.keep_versions,
        say=say,
    )
    print_build(report, args.quiet)
    return 0 if report.published else 1


def cmd_versions(args: argparse.Namespace, settings: Settings) -> int:
    _, index_dir = _dirs(args, settings)
    infos = list_versions(index_dir)
    if not infos:
        print(f"no versions in {index_dir}: run `faqbot build`")
        return 1
    for info in reversed(infos):
        mark = "*" if info.current else " "
        if info.manifest is None:
            print(f"{mark} {info.version}  unreadable: {info.problem}")
            continue
        m = info.manifest
        print(f"{mark} {info.version}  {m.passage_count} passages  built {m.built_at}  {m.model}")
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    _, index_dir = _dirs(args, settings)
    old, new = rollback(index_dir, settings.model, args.version)
    print(f"published {new} (was {old}); running servers pick it up on their next reload")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    source_path: Path = args.file
    source = source_path.read_text(encoding="utf-8")
    outline = None
    if args.outline is not None:
        outline = read_outline(args.outline.read_text(encoding="utf-8"), args.outline)
    meta = FrontMatter(
        id=args.id,
        title=args.title,
        url=args.url,
        version=args.article_version,
        approved_on=args.approved_on or date.today(),
        review_by=args.review_by,
    )
    result = import_article(source, meta, html=is_html(source_path, source), outline=outline)
    print(f"headings found in {source_path} (confirm them; to change, pass --outline FILE):")
    for heading in result.headings:
        where = f"line {heading.line:>4}: " if heading.line else ""
        print(f"  {where}{'#' * heading.level} {heading.text}")
    if result.dropped:
        print(f"layout marks dropped on line(s) {', '.join(map(str, result.dropped))}")
    if args.dry_run:
        print(result.markdown, end="")
        return 0
    corpus_dir, _ = _dirs(args, settings)
    target: Path = args.output or corpus_dir / f"{meta.id}.md"
    if target.exists() and not args.force:
        print(f"faqbot: {target} exists; pass --force to replace it", file=sys.stderr)
        return 1
    target.write_text(result.markdown, encoding="utf-8")
    print(f"wrote {target}")
    problems, *_ = check_article(target, date.today())
    for problem in problems:
        print(problem)
    return 1 if any(p.severity == "error" for p in problems) else 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-01-31, got {text!r}") from exc


def register(command: CommandFactory) -> None:
    """Add the editors' subcommands (build included) to the `faqbot` parser."""
    check = command("check", "Lint the corpus: prints file:line: message per problem.", cmd_check)
    check.add_argument(
        "corpus_dir", nargs="?", type=Path, metavar="CORPUS_DIR", help="corpus folder to check"
    )
    build = command(
        "build",
        "Check the corpus, embed changed passages, verify the new version, re-score the dev "
        "questions, then publish it.",
        cmd_build,
    )
    build.add_argument("--quiet", action="store_true", help="no progress bar or report")
    build.add_argument(
        "--force", action="store_true", help="publish even if the dev-question accuracy drops"
    )
    build.add_argument(
        "--no-cache", action="store_true", help="embed every passage again (ignore the cache)"
    )
    build.add_argument(
        "--questions",
        type=Path,
        help="dev questions for the regression gate (default: FAQBOT_DEV_QUESTIONS)",
    )
    build.add_argument("--no-gate", action="store_true", help="skip the regression gate")
    imp = command(
        "import",
        "Turn an approved plain-text or HTML article into a corpus Markdown file (sentences kept "
        "byte for byte; headings listed for you to confirm).",
        cmd_import,
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the approved .txt or .html source")
    imp.add_argument("--id", required=True, help="article id (lower-case letters, digits, -)")
    imp.add_argument("--title", required=True, help="article title (becomes the # heading)")
    imp.add_argument("--url", required=True, help="the article's address on the clinic site")
    imp.add_argument(
        "--version", dest="article_version", default="1", help="front matter version (default 1)"
    )
    imp.add_argument("--approved-on", type=_date, help="approval date (default: today)")
    imp.add_argument("--review-by", type=_date, help="review date (default: a year later)")
    imp.add_argument(
        "--outline",
        type=Path,
        help="file listing the headings with their levels, one '## Heading' per line",
    )
    imp.add_argument("--output", type=Path, help="where to write (default: CORPUS/<id>.md)")
    imp.add_argument("--force", action="store_true", help="replace an existing file")
    imp.add_argument(
        "--dry-run", action="store_true", help="print the Markdown instead of writing it"
    )
    command("versions", "List index versions; * marks the published one.", cmd_versions)
    rb = command(
        "rollback", "Publish an earlier version (default: the one before current).", cmd_rollback
    )
    rb.add_argument("version", nargs="?", help="version to publish (see `faqbot versions`)")
