"""How long the widget takes to show an answer once /ask has returned, in real Chromium.

    .venv/bin/python -m bench.web_render [--questions N]

Serves the bundled corpus with the real model on a loopback port, opens the demo page in
Debian's headless Chromium, asks the dev set's answerable questions through the widget and
reports, per question: the /ask latency as the browser saw it (Resource Timing, request start to
response end), then the time from response end to the answer's node being in the DOM and to the
next animation frame (the paint that shows it). Target (issue 6): render < 50 ms on top of /ask.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import expect, sync_playwright

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.publishing.build import build_index
from faqbot.settings import DEFAULT_MODEL, Settings
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, READ_RENDER, WATCH_RENDER

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=20, help="how many to ask (default 20)")
    args = parser.parse_args()
    lines = (REPO / "tests" / "data" / "dev_questions.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    questions = [r["question"] for r in rows if r["expect"] == "answer"][: args.questions]

    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    with tempfile.TemporaryDirectory() as tmp:
        build_index(REPO / "corpus", Path(tmp), embedder)
        settings = Settings(corpus_dir=REPO / "corpus", index_dir=Path(tmp))
        config = uvicorn.Config(
            create_app(settings, embedder=embedder), host="127.0.0.1", port=0, log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        samples = []
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            host = page.locator("faqbot-widget-host")
            host.get_by_role("button", name="Ask a question about our articles").click()
            box = host.get_by_role("textbox", name="Your question")
            for n, question in enumerate(questions, start=1):
                page.evaluate(WATCH_RENDER)
                box.fill(question)
                box.press("Enter")
                expect(host.locator("[role=log] > .response, [role=log] > .error")).to_have_count(n)
                samples.append(page.evaluate(READ_RENDER))
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)

    def summary(key: str) -> dict[str, float]:
        values = sorted(s[key] for s in samples)
        return {
            "p50": round(statistics.median(values), 1),
            "p95": round(values[max(0, round(0.95 * len(values)) - 1)], 1),
            "max": round(values[-1], 1),
        }

    report = {
        "questions": len(samples),
        "ask_ms": summary("ask_ms"),
        "render_dom_ms": summary("dom_ms"),
        "render_next_frame_ms": summary("frame_ms"),
        "render_over_ask_p50": round(
            statistics.median(s["frame_ms"] for s in samples)
            / statistics.median(s["ask_ms"] for s in samples),
            3,
        ),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
