"""Incremental build ratio: edit one sentence of one article in a ~16k-passage corpus and rebuild.

Makes a corpus from ../shared/data/medquad (one article per MedQuAD document, one section per
question/answer pair), builds it once with a cold embedding cache (full build), changes one
sentence in one article, and builds again (incremental). Both builds run in this process with
the same loaded model, so model loading is in neither figure; both include the corpus check,
chunking, embedding (or cache look-up), writing, verifying and publishing the version.

Target (issue 5): incremental ≤ 5% of the full build time. Figures go to
bench/results/incremental_build.json. Run: .venv/bin/python bench/incremental_build.py
(the full build embeds ~16k passages: several minutes on two shared cores).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MEDQUAD = REPO.parent / "shared" / "data" / "medquad" / "corpus.jsonl.gz"
RESULTS = REPO / "bench" / "results" / "incremental_build.json"
TARGET_RATIO = 0.05
EDITED_FROM = "."
EDITED_TO = " (edited for the incremental-build benchmark)."


def make_corpus(source: Path, target: Path, limit: int | None) -> tuple[int, Path]:
    """Write one Markdown article per MedQuAD document; returns (passage rows, an article)."""
    docs: dict[str, list[dict[str, str]]] = defaultdict(list)
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                break
            row = json.loads(line)
            docs[row["id"].rsplit("-", 1)[0]].append(row)
    target.mkdir(parents=True)
    for name in ("responses.yaml", "safety.yaml", "calibration.json"):
        shutil.copy(REPO / "corpus" / name, target / name)
    rows = 0
    first: Path | None = None
    for doc_id, pairs in sorted(docs.items()):
        article_id = re.sub(r"[^a-z0-9-]+", "-", doc_id.lower()).strip("-")
        heading = pairs[0]["title"].strip() or doc_id  # a few MedQuAD documents have no title
        title = heading.replace('"', "'")
        body = [f"# {heading}", ""]
        for n, pair in enumerate(pairs, start=1):
            body += [f"## {pair['qtype'].capitalize()} {n}", "", pair["text"], ""]
            rows += 1
        path = target / f"{article_id}.md"
        path.write_text(
            "---\n"
            f"id: {article_id}\n"
            f'title: "{title}"\n'
            f"url: https://clinic.example/medquad/{article_id}\n"
            "version: 1\n"
            "approved_on: 2026-11-20\n"
            "review_by: 2027-11-20\n"
            "---\n\n" + "\n".join(body),
            encoding="utf-8",
        )
        first = first or path
    assert first is not None
    return rows, first


def edit_one_sentence(article: Path) -> str:
    """Change the first sentence end of the article's first section text."""
    text = article.read_text(encoding="utf-8")
    head, body = text.split("\n## ", 1)
    section_title, rest = body.split("\n\n", 1)
    paragraph, tail = rest.split("\n", 1)
    cut = paragraph.find(EDITED_FROM)
    edited = (
        paragraph + EDITED_TO if cut < 0 else paragraph[:cut] + EDITED_TO + paragraph[cut + 1 :]
    )
    article.write_text(f"{head}\n## {section_title}\n\n{edited}\n{tail}", encoding="utf-8")
    return edited[: max(cut, 0) + len(EDITED_TO)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="use only the first N MedQuAD passages")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--medquad", type=Path, default=MEDQUAD, help="corpus.jsonl.gz")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    if not args.medquad.is_file():
        print(f"skipped: {args.medquad} is not present (pass --medquad)", file=sys.stderr)
        return 0

    from faqbot.embedding.encoder import SentenceTransformerEmbedder
    from faqbot.publishing.build import build_index
    from faqbot.settings import DEFAULT_MODEL

    work = args.keep or Path(tempfile.mkdtemp(prefix="faqbot-bench-incremental-"))
    corpus, index = work / "corpus", work / "index"
    rows, article = make_corpus(args.medquad, corpus, args.limit)
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    embedder.encode(["warm-up"])

    started = time.perf_counter()
    full = build_index(corpus, index, embedder, quiet=False, say=print)
    full_s = time.perf_counter() - started
    print(f"full build: {full.manifest.passage_count} passages in {full_s:.1f}s")

    edited = edit_one_sentence(article)
    started = time.perf_counter()
    incremental = build_index(corpus, index, embedder, quiet=False, say=print)
    incremental_s = time.perf_counter() - started
    ratio = incremental_s / full_s
    print(f"incremental build: {incremental.embedded} embedded in {incremental_s:.2f}s")
    print(f"ratio {ratio:.4f} (target ≤ {TARGET_RATIO})")
    diff = {
        a: {"added": len(d.added), "changed": len(d.changed), "removed": len(d.removed)}
        for a, d in incremental.diff.items()
    }
    figures = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "model": DEFAULT_MODEL,
        "articles": full.articles,
        "medquad_rows": rows,
        "passages": full.manifest.passage_count,
        "index_type": full.manifest.index_type,
        "full_build_s": round(full_s, 2),
        "full_embed_s": round(full.embed_seconds, 2),
        "full_embedded": full.embedded,
        "incremental_build_s": round(incremental_s, 3),
        "incremental_embed_s": round(incremental.embed_seconds, 3),
        "incremental_embedded": incremental.embedded,
        "incremental_diff": diff,
        "edited_article": article.name,
        "edited_text_head": edited[:120],
        "ratio": round(ratio, 5),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.output}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
