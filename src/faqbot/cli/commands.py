"""The `faqbot` command: thin argument parsing over the same functions the API uses."""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from faqbot import __version__
from faqbot.answering.answerer import Answerer, Thresholds
from faqbot.cli.crisis import register as register_crisis_commands
from faqbot.cli.editor import CommandFactory
from faqbot.cli.editor import register as register_editor_commands
from faqbot.corpus.articles import load_articles
from faqbot.embedding.encoder import SentenceTransformerEmbedder, encoder_threads
from faqbot.errors import FaqbotError
from faqbot.http.app import create_app
from faqbot.http.guards import uvicorn_options
from faqbot.http.schemas import to_response
from faqbot.index.version import load_published
from faqbot.operations.logs import log_config
from faqbot.publishing.calibration import (
    band_figures,
    choose_thresholds,
    observe,
    write_calibration,
)
from faqbot.publishing.evaluation import EvalReport, load_questions
from faqbot.serving.state import evaluate_version, load_state, query_embedder
from faqbot.settings import Settings, get_settings, to_environment

# Calibration looks at raw scores, so it loads the index with thresholds nobody can pass.
UNREACHABLE = Thresholds(answer=float("inf"), related=float("inf"))


def _paths(args: argparse.Namespace, settings: Settings) -> tuple[Path, Path]:
    return (args.corpus or settings.corpus_dir, args.index or settings.index_dir)


def _answerer(
    args: argparse.Namespace, settings: Settings, thresholds: Thresholds | None = None
) -> Answerer:
    _, index_dir = _paths(args, settings)
    embedder = query_embedder(settings.model_copy(update={"index_dir": index_dir}))
    state = load_state(settings, index_dir, embedder, thresholds)
    return Answerer(embedder, state, settings.candidates)


def _check_serving(settings: Settings, index_dir: Path) -> str | None:
    """Load what a worker will load; the one-line problem, or None when all is well."""
    try:
        load_published(index_dir, settings.model)
        served = settings.model_copy(update={"index_dir": index_dir})
        load_state(settings, index_dir, query_embedder(served))
    except FaqbotError as exc:
        return str(exc)
    return None


def _check_in_subprocess(settings: Settings, index_dir: Path) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as checker:
        problem = checker.submit(_check_serving, settings, index_dir).result()
    if problem is not None:
        raise FaqbotError(problem)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    corpus_dir, index_dir = _paths(args, settings)
    # Refuse to start on broken artefacts with one line naming the file and the fix: the index
    # files first (cheap), then the model, then everything together as the server will load it.
    workers = args.workers or settings.workers
    if workers > 1:
        # Checked in a throw-away process: a supervisor that loaded the model would keep
        # ~400 MB of torch resident for nothing while its workers load their own.
        _check_in_subprocess(settings, index_dir)
    else:
        load_published(index_dir, settings.model)
        threads = encoder_threads(settings.encoder_threads, workers=1)
        served = settings.model_copy(update={"index_dir": index_dir})
        embedder = query_embedder(served, threads=threads)
        load_state(settings, index_dir, embedder)
    log_format = args.log_format or settings.log_format
    settings = settings.model_copy(
        update={
            "corpus_dir": corpus_dir,
            "index_dir": index_dir,
            "workers": workers,
            "log_format": log_format,
        }
    )
    logging.config.dictConfig(log_config(log_format))
    options = {
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "log_config": log_config(log_format),  # applied again in every worker process
        **uvicorn_options(),  # no Server banner, no uvicorn access log, no proxy headers
    }
    if workers == 1:
        uvicorn.run(create_app(settings, embedder=embedder), **options)
        return 0
    # Worker processes are spawned, so they rebuild the settings from the environment.
    os.environ.update(to_environment(settings))
    if settings.metrics:  # each worker writes its metric values to files that /metrics adds up
        from faqbot.operations.metrics import prepare_multiprocess

        prepare_multiprocess()
    from faqbot.serving.workers import supervise

    host, port = options.pop("host"), options.pop("port")
    return supervise(workers, "faqbot.http.app:app_from_settings", host, port, options)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from faqbot.operations.report import build_report
    from faqbot.operations.report_rendering import RENDERERS

    corpus_dir, index_dir = _paths(args, settings)
    settings = settings.model_copy(update={"index_dir": index_dir})
    report = build_report(
        settings.feedback_db_path(),
        corpus_dir,
        since=args.since,
        unanswered_on=settings.unanswered_report,
        embedder_factory=lambda: SentenceTransformerEmbedder(settings.model),
        retention_days=settings.unanswered_retention_days,
        max_rows=settings.unanswered_max_rows,
    )
    text = RENDERERS[args.format](report)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"report written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    answer = _answerer(args, settings).ask(args.question)
    if args.json:
        print(to_response(answer).model_dump_json(indent=2))
        return 0
    print(f"[{answer.status}] {answer.message}")
    for hit in answer.hits:
        print(f"\n  {hit.passage.text}\n  — {hit.passage.article_title} › {hit.passage.section}")
        print(f"    {hit.passage.url}  (score {hit.score:.3f})")
    for passage in answer.related:
        print(f"  related: {passage.article_title} › {passage.section}  {passage.url}")
    return 0


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    corpus_dir, index_dir = _paths(args, settings)
    if args.answerability:
        from faqbot.cli.answerability import calibrate_answerability

        embedder = query_embedder(settings.model_copy(update={"index_dir": index_dir}))
        return calibrate_answerability(args, settings, embedder, corpus_dir, index_dir)
    questions_path: Path = args.questions or settings.dev_questions
    questions = load_questions(questions_path)
    observations = observe(_answerer(args, settings, UNREACHABLE), questions)
    thresholds = choose_thresholds(observations)
    figures = band_figures(observations, thresholds)
    path = write_calibration(
        corpus_dir, settings.model, thresholds, figures, str(questions_path), len(observations)
    )
    print(f"answer threshold {thresholds.answer:.4f}, related threshold {thresholds.related:.4f}")
    for band, f in figures.items():
        print(f"  {band}: precision {f.precision:.3f}, recall {f.recall:.3f}, shown {f.shown}")
    print(f"written to {path}; run `faqbot build` to publish a version with these thresholds")
    return 0


def print_report(report: EvalReport) -> None:
    for kind in ("answer", "fallback", "emergency"):
        right, total = report.kind_counts(kind)
        print(f"{kind:>9}: {right}/{total}")
    print(f"  overall: {report.accuracy:.3f} ({len(report.results)} questions)")
    print(f"false emergencies: {report.false_emergencies}, missed: {report.missed_emergencies}")
    print(f"non-verbatim passages: {report.non_verbatim}")
    for result in report.results:
        if not result.correct:
            print(
                f"  wrong {result.question.id} expect={result.question.expect} got={result.status}"
            )


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    corpus_dir, index_dir = _paths(args, settings)
    embedder = query_embedder(settings.model_copy(update={"index_dir": index_dir}))
    bodies = {a.id: a.body for a in load_articles(corpus_dir)}
    report = evaluate_version(
        settings,
        index_dir,
        embedder,
        load_questions(args.questions or settings.dev_questions),
        bodies,
    )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print_report(report)
    if args.min is not None and report.accuracy < args.min:
        print(f"accuracy {report.accuracy:.3f} is below --min {args.min}", file=sys.stderr)
        return 1
    return 0 if report.non_verbatim == 0 else 1


def cmd_eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from faqbot.answering.retrieval import FusionConfig
    from faqbot.publishing.retrieval_eval import (
        build_or_reuse,
        corpus_articles,
        corpus_digest,
        encode_headings,
        evaluate_retrieval,
        format_table,
        load_qrels,
        load_queries,
    )

    embedder = SentenceTransformerEmbedder(settings.model)
    if args.open_set:
        from faqbot.cli.answerability import eval_open_set

        return eval_open_set(args, settings, embedder)
    if args.corpus_file is None or args.queries is None or args.qrels is None:
        print("faqbot eval-retrieval: --corpus, --queries and --qrels are needed", file=sys.stderr)
        return 2
    fraction = args.sample if args.sample is not None else 1.0
    articles, row_of = corpus_articles(args.corpus_file, args.pages, fraction)
    how = f"{'pages' if args.pages else 'rows'}, sample {fraction}"
    digest = corpus_digest(args.corpus_file, how)
    with tempfile.TemporaryDirectory(prefix="faqbot-eval-") as scratch:
        index = build_or_reuse(articles, digest, args.index_dir or Path(scratch), embedder)
        queries = load_queries(args.queries)[: args.max_queries]
        fused = FusionConfig(settings.fusion, settings.lexical_weight, settings.rrf_k)
        methods = {
            "dense": FusionConfig("dense"),
            "bm25": FusionConfig("bm25"),
            f"rrf (k={settings.rrf_k})": FusionConfig("rrf", rrf_k=settings.rrf_k),
            f"mix (w={settings.lexical_weight})": FusionConfig("mix", settings.lexical_weight),
            f"fused ({settings.fusion}, production)": fused,
            **{
                f"mix + heading (w={w})": FusionConfig(
                    "mix", settings.lexical_weight, heading_weight=w
                )
                for w in HEADING_WEIGHTS
            },
        }
        indexed = set(row_of.values()) if row_of else {a.id for a in articles}
        qrels = {q: ids for q, ids in load_qrels(args.qrels).items() if ids & indexed}
        headings = encode_headings(index, embedder)
        results = evaluate_retrieval(index, embedder, queries, qrels, methods, row_of, headings)
    main_row = results[f"fused ({settings.fusion}, production)"]
    if args.json:
        print(json.dumps({**main_row, "methods": results}, indent=2))
    else:
        print(format_table(results))
    return 0


HEADING_WEIGHTS = (1.0, 3.0)  # eval-retrieval's heading-field rows, beside the production fusion
QUESTIONS_HELP = "JSONL in the dev-set format (default: FAQBOT_DEV_QUESTIONS)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faqbot",
        description="Answers questions only with approved article text, word for word.",
    )
    parser.add_argument("--version", action="version", version=f"faqbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    command = _command_factory(commands)
    register_editor_commands(command)  # check, build, import, versions, rollback
    register_crisis_commands(command)  # calibrate-crisis, eval-crisis
    _add_serving_commands(command)  # serve, ask
    _add_quality_commands(command)  # calibrate, eval, report
    _add_eval_retrieval(commands)  # its own --corpus (a JSONL file) and no --index
    return parser


def _command_factory(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> CommandFactory:
    """Adds a subcommand with the --corpus and --index options every corpus command takes."""

    def command(
        name: str, text: str, handler: Callable[[argparse.Namespace, Settings], int]
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument(
            "--corpus", type=Path, help="corpus folder (default: FAQBOT_CORPUS_DIR or corpus/)"
        )
        sub.add_argument(
            "--index", type=Path, help="index folder (default: FAQBOT_INDEX_DIR or index/)"
        )
        sub.set_defaults(handler=handler)
        return sub

    return command


def _add_serving_commands(command: CommandFactory) -> None:
    """serve and ask: what visitors' questions go through."""
    serve = command("serve", "Serve the HTTP API, the widget and the staff page.", cmd_serve)
    serve.add_argument("--host", help="address to listen on (default: FAQBOT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: FAQBOT_PORT or 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes, each with its own model and a memory-mapped, shared index; "
        "encoder threads are split between them (default: FAQBOT_WORKERS or 1)",
    )
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="key=value text lines or one JSON object per line (default: FAQBOT_LOG_FORMAT)",
    )
    ask = command("ask", "Answer one question from the published index.", cmd_ask)
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print the same JSON as POST /ask")


def _add_quality_commands(command: CommandFactory) -> None:
    """calibrate, eval and report: how well the published index answers."""
    calibrate = command(
        "calibrate",
        "Choose the answer and related thresholds from labelled questions.",
        cmd_calibrate,
    )
    calibrate.add_argument("questions", nargs="?", type=Path, default=None, help=QUESTIONS_HELP)
    calibrate.add_argument(
        "--answerability",
        action="store_true",
        help="train the answerability model (answerability.json) on the dev and extra "
        "questions, CLINC150 and MedQuAD as an open set, with its cut set for "
        "FAQBOT_ANSWER_PRECISION, instead of choosing the score thresholds",
    )
    _add_shared_options(calibrate)
    ev = command(
        "eval", "Score labelled questions: accuracy per kind, non-verbatim count.", cmd_eval
    )
    ev.add_argument("questions", nargs="?", type=Path, default=None, help=QUESTIONS_HELP)
    ev.add_argument("--min", type=float, help="exit non-zero when overall accuracy is below this")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    report = command(
        "report",
        "Editors' report: outcome rates per day, least helpful passages, topics nobody covers, "
        "articles due for review.",
        cmd_report,
    )
    report.add_argument(
        "--since", type=date.fromisoformat, help="only days from this date (YYYY-MM-DD)"
    )
    report.add_argument("--format", choices=("text", "json", "html"), default="text")
    report.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")


def _add_shared_options(parser: argparse.ArgumentParser) -> None:
    """Where the shared data sets are, and how much of MedQuAD's pages the open set samples."""
    parser.add_argument(
        "--shared",
        type=Path,
        default=Path("../shared/data"),
        help="folder holding clinc150/ and medquad/ (default: ../shared/data)",
    )
    parser.add_argument(
        "--sample",
        type=float,
        help="share of the corpus's pages used, chosen by hash (default: 0.2 for the open "
        "set, all pages for the ranking)",
    )


def _add_eval_retrieval(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """eval-retrieval: retrieval quality on a QA corpus that is not the clinic's."""
    er = commands.add_parser(
        "eval-retrieval",
        help="Retrieval quality (nDCG@10, P@1, Recall@10, MRR@10) on a QA corpus such as MedQuAD.",
        description="Index a JSONL corpus through the production chunking/embedding/fusion code, "
        "run every judged query and compare dense, BM25 and fused retrieval side by side.",
    )
    er.add_argument(
        "--corpus",
        dest="corpus_file",
        type=Path,
        help="corpus JSONL (.gz allowed): id, text, optional title/url/qtype (needed unless "
        "--open-set)",
    )
    er.add_argument("--queries", type=Path, help="queries JSONL: id, text")
    er.add_argument("--qrels", type=Path, help="TSV: query-id, corpus-id, relevance (no header)")
    er.add_argument(
        "--pages",
        action="store_true",
        help="keep the source pages' structure: rows with the same url are one article, each "
        "answer under a heading made from its qtype",
    )
    er.add_argument(
        "--open-set",
        action="store_true",
        help="MedQuAD from --shared as an open set: index half of the sampled pages, ask the "
        "evaluation half's questions through the full answerer, print answered precision, "
        "coverage and false answers on unanswerable questions",
    )
    _add_shared_options(er)
    er.add_argument(
        "--index-dir",
        type=Path,
        help="keep the built index here and reuse it next time (default: temporary)",
    )
    er.add_argument("--max-queries", type=int, help="only the first N queries (quick checks)")
    er.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (keys ndcg@10, p@1, recall@10, mrr@10)",
    )
    er.set_defaults(handler=cmd_eval_retrieval)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; faqbot's own errors become one line and exit 1."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args, get_settings())
    except FaqbotError as exc:
        print(f"faqbot: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # unreadable files or folders: still one line, not a traceback
        print(f"faqbot: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
