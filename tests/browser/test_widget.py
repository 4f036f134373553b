"""The visitor's chat widget in real headless Chromium against a real uvicorn server with the
real model: answers, fallback, emergency, errors, XSS, keyboard, hostile host pages, privacy,
375 px, and an axe-core accessibility scan. Screenshots land in test-artifacts/."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from faqbot.corpus.articles import load_articles, load_responses
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.publishing.build import build_index
from faqbot.settings import Settings

from ..conftest import CORPUS, LiveServer
from .chromium import READ_RENDER, WATCH_RENDER
from .conftest import PHONE, PageErrors
from .widget import (
    LAUNCHER_NAME,
    ask,
    axe_violations,
    conversation,
    launcher,
    open_panel,
    question_box,
    replies,
    shadow_elements,
    widget,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RESPONSES = load_responses(CORPUS)
BODIES = {a.id: a.body for a in load_articles(CORPUS)}
ANSWERABLE = "How long does each infusion session take?"
OUT_OF_SCOPE = "Who won the football game last night?"
CRISIS = "I am going to end my life"

# A host page written to break embedded widgets: global resets with !important, hidden buttons
# and inputs, a hidden element named like the widget's host, and ids the widget uses inside.
# It has no CSP, so markup injected into it WOULD run: its own inline script proves that.
HOSTILE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hostile host page</title>
<style>
*, *::before, *::after {{ box-sizing: content-box !important; margin: 0 !important;
  padding: 0 !important; border: 0 !important; transition: none !important; }}
html, body, div, p, span, a, form, label, input, button, blockquote, h2, ul, li {{
  font: 31px/1 "Comic Sans MS", cursive !important; color: #0f0 !important;
  background: #000 !important; text-transform: uppercase !important;
  letter-spacing: .3em !important; text-align: right !important; }}
button, input {{ display: none !important; }}
div {{ position: static !important; width: 10px !important; height: 10px !important; }}
faqbot-widget-host {{ display: none !important; opacity: 0 !important; }}
body * {{ z-index: 0 !important; }}
</style>
<script>window.__hostInline = true; window.API = "http://wrong.invalid"; window.el = null;</script>
<script src="{src}/widget.js" {extra} defer></script>
</head><body>
<div id="panel">host panel</div>
<label for="question">Host field</label><input id="question" value="host value">
<button class="launcher" id="launcher" type="button">Host button</button>
<p class="log" role="note">Host text</p>
</body></html>"""

XSS_MARK = "window.__xss"
XSS_TITLE = """Visiting <img src=x onerror="window.__xss='title'">"""
XSS_PASSAGE = (
    "Parking at the clinic is free for the first two hours. "
    """<img src=x onerror="window.__xss='passage'"> Ask the front desk """
    "<script>window.__xss='script'</script> for a validation ticket."
)
XSS_ARTICLE = f"""---
id: visiting
title: {json.dumps(XSS_TITLE)}
url: https://clinic.example/articles/visiting
version: 1
approved_on: 2026-11-20
review_by: 2027-11-20
---

# Visiting

## Parking <script>window.__xss='heading'</script>

{XSS_PASSAGE}
"""


class HostSite:
    """Another site on another origin (another loopback port) that serves one host page."""

    def __init__(self) -> None:
        self.html = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture(scope="module")
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    site.thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(scope="module")
def xss_server(
    tmp_path_factory: pytest.TempPathFactory,
    real_embedder: SentenceTransformerEmbedder,
    host_site: HostSite,
) -> Iterator[LiveServer]:
    """A one-article corpus whose title, heading and passage carry script/onerror markup,
    served to the foreign origin of the hostile page (CORS allowed for it)."""
    corpus = tmp_path_factory.mktemp("xss-corpus")
    for name in ("responses.yaml", "safety.yaml"):
        shutil.copy(CORPUS / name, corpus / name)
    (corpus / "visiting.md").write_text(XSS_ARTICLE, encoding="utf-8")
    index_dir = corpus / "index"
    build_index(corpus, index_dir, real_embedder)
    settings = Settings(
        corpus_dir=corpus,
        index_dir=index_dir,
        answer_threshold=0.0,  # every non-safety question is answered with the passage
        related_threshold=0.0,
        allowed_origins=[host_site.origin],
    )
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        yield server


def open_hostile_page(page: Page, site: HostSite, api: str, data_api: str | None = None) -> None:
    """The hostile page on another origin, embedding the widget from `api` by its tag."""
    extra = f'data-api="{data_api}"' if data_api else ""
    site.html = HOSTILE_PAGE.format(src=api, extra=extra)
    page.goto(f"{site.origin}/")
    assert page.evaluate("window.__hostInline") is True  # inline markup would run on this page


def no_xss_ran(page: Page) -> None:
    assert page.evaluate(f"typeof {XSS_MARK}") == "undefined", page.evaluate(XSS_MARK)
    assert shadow_elements(page, "img, script") == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=artifacts / f"widget-{name}.png")


def test_question_gets_verbatim_passages_with_source_links_and_the_disclaimer(
    page: Page, live_server: LiveServer, artifacts: Path, page_errors: PageErrors
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(f"{live_server.url}/")
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(launcher(page)).to_be_visible()
    shot(page, artifacts, "desktop-closed")
    open_panel(page)
    shot(page, artifacts, "desktop-open")

    page.evaluate(WATCH_RENDER)
    reply = ask(page, ANSWERABLE)
    render = page.evaluate(READ_RENDER)
    (artifacts / "render-time.json").write_text(json.dumps(render, indent=2) + "\n")

    quotes = reply.locator("blockquote")
    expect(quotes.first).to_contain_text("45 minutes to an hour")
    for text in quotes.all_text_contents():
        assert text in BODIES["ketamine-infusions"]  # word for word, as approved
    source = reply.get_by_role("link").first
    expect(source).to_have_attribute(
        "href", "https://clinic.example/articles/ketamine-infusions#administration-process"
    )
    expect(reply.locator(".source").first).to_contain_text("Source: Ketamine Infusions › ")
    expect(reply.locator(".disclaimer")).to_have_text(RESPONSES.disclaimer)
    shot(page, artifacts, "desktop-answered")

    # Privacy: nothing stored, nothing sent anywhere but faqbot's own origin.
    assert page.context.cookies() == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("indexedDB.databases().then((dbs) => dbs.length)") == 0
    foreign = {u for u in requested if urlsplit(u).netloc != urlsplit(live_server.url).netloc}
    assert foreign == set()
    assert not [m for m in page_errors.console if "Content Security Policy" in m]


def test_loading_state_shows_while_the_answer_is_on_its_way(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    held: list[Route] = []
    page.route("**/ask", lambda route: held.append(route))
    page.goto(f"{live_server.url}/")
    open_panel(page)
    with page.expect_request("**/ask"):
        question_box(page).fill(ANSWERABLE)
        question_box(page).press("Enter")
    expect(conversation(page).locator(".loading")).to_have_text("Looking up approved answers…")
    expect(conversation(page)).to_have_attribute("aria-busy", "true")
    expect(widget(page).get_by_role("button", name="Send")).to_be_disabled()
    shot(page, artifacts, "desktop-loading")
    assert len(held) == 1, "the /ask request was not held"
    held[0].continue_()
    expect(replies(page)).to_have_count(1)
    expect(conversation(page).locator(".loading")).to_have_count(0)
    expect(widget(page).get_by_role("button", name="Send")).to_be_enabled()


def test_out_of_scope_question_gets_the_approved_fallback(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    page.goto(f"{live_server.url}/")
    open_panel(page)
    reply = ask(page, OUT_OF_SCOPE)
    expect(reply.locator(".fallback p").first).to_have_text(RESPONSES.fallback)
    expect(reply.locator("blockquote")).to_have_count(0)
    shot(page, artifacts, "desktop-fallback")


def test_crisis_message_shows_the_emergency_wording_first_with_tel_links(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    page.goto(f"{live_server.url}/")
    open_panel(page)
    reply = ask(page, CRISIS)
    alert = reply.get_by_role("alert")
    expect(alert).to_have_text(RESPONSES.emergency)
    assert reply.evaluate("(node) => node.firstElementChild.getAttribute('role')") == "alert"
    expect(alert.locator('a[href="tel:988"]')).to_have_count(
        2
    )  # "call or text 988", "988 Lifeline"
    expect(alert.locator('a[href="tel:911"]')).to_have_text("911")
    expect(reply.locator("blockquote")).to_have_count(0)
    shot(page, artifacts, "desktop-emergency")


def test_xss_in_a_question_is_shown_as_text_and_never_runs(
    page: Page, xss_server: LiveServer, host_site: HostSite, artifacts: Path
) -> None:
    open_hostile_page(page, host_site, xss_server.url)
    open_panel(page)
    payload = """<img src=x onerror="window.__xss='question'"><script>window.__xss='q'</script> parking?"""
    ask(page, payload)
    expect(conversation(page).locator(".question")).to_have_text("You asked: " + payload)
    no_xss_ran(page)


def test_xss_in_an_approved_passage_title_and_section_is_shown_as_text_and_never_runs(
    page: Page, xss_server: LiveServer, host_site: HostSite, artifacts: Path
) -> None:
    open_hostile_page(page, host_site, xss_server.url)
    open_panel(page)
    reply = ask(page, "Where do I park?")
    expect(reply.locator("blockquote")).to_have_text(XSS_PASSAGE)
    expect(reply.locator(".source")).to_contain_text(
        XSS_TITLE + " › Visiting › Parking <script>window.__xss='heading'</script>"
    )
    no_xss_ran(page)
    shot(page, artifacts, "desktop-xss-as-text")


def test_widget_works_in_a_hostile_host_page_and_leaves_it_alone(
    page: Page, xss_server: LiveServer, host_site: HostSite, artifacts: Path
) -> None:
    open_hostile_page(page, host_site, xss_server.url)
    expect(launcher(page)).to_be_visible()
    box = launcher(page).bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44
    assert (
        launcher(page).evaluate("(b) => getComputedStyle(b).fontFamily")
        != '"Comic Sans MS", cursive'
    )
    open_panel(page)
    reply = ask(page, "Where do I park?")
    expect(reply.locator("blockquote")).to_be_visible()
    shot(page, artifacts, "desktop-hostile-host")
    # Sizes do not follow the host's 31px root font (no rem units inside the widget).
    panel = widget(page).get_by_role("dialog").bounding_box()
    assert panel is not None and panel["width"] <= 24 * 16, panel
    assert reply.locator("blockquote").evaluate("(q) => getComputedStyle(q).fontSize") == "16px"
    # The host page's own elements, ids and styles are untouched.
    assert page.evaluate("document.getElementById('panel').textContent") == "host panel"
    assert page.evaluate("document.getElementById('question').value") == "host value"
    assert page.evaluate("getComputedStyle(document.getElementById('launcher')).display") == "none"
    assert page.evaluate("document.styleSheets.length + document.adoptedStyleSheets.length") == 1
    assert page.evaluate("window.API") == "http://wrong.invalid"


def test_whole_flow_by_keyboard_with_visible_focus_and_escape_back_to_the_launcher(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/")
    for _ in range(30):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if launcher(page).evaluate("(b) => b.getRootNode().activeElement === b"):
            break
    expect(launcher(page)).to_be_focused()
    outline = launcher(page).evaluate(
        "(b) => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, outline
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    expect(question_box(page)).to_be_focused()
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    page.keyboard.type(ANSWERABLE)
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_count(1)
    expect(replies(page).first.locator("blockquote").first).to_contain_text("45 minutes")

    page.keyboard.press("Tab")
    expect(widget(page).get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(question_box(page)).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back into the answer: its feedback buttons come last
    expect(replies(page).first.get_by_role("button", name="No")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(replies(page).first.get_by_role("button", name="Yes")).to_be_focused()
    page.keyboard.press("Enter")
    thanks = replies(page).first.get_by_text("Thanks for your feedback.")
    expect(thanks).to_be_focused()  # the pressed button is disabled; focus stays nearby
    page.keyboard.press("Shift+Tab")  # past the disabled buttons to the last source link
    focused_href = page.evaluate(
        "document.querySelector('faqbot-widget-host').shadowRoot.activeElement.getAttribute('href')"
    )
    assert focused_href is not None and "#" in focused_href

    page.keyboard.press("Escape")
    expect(widget(page).get_by_role("dialog")).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")  # and it opens again from the keyboard
    expect(question_box(page)).to_be_focused()
    expect(replies(page)).to_have_count(1)  # the conversation is kept while the page lives
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Send, then the launcher: Escape still closes from there
    expect(launcher(page)).to_be_focused()
    page.keyboard.press("Escape")
    expect(widget(page).get_by_role("dialog")).to_be_hidden()
    expect(launcher(page)).to_be_focused()


def test_answers_offer_feedback_that_reaches_post_feedback(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    page.goto(f"{live_server.url}/")
    open_panel(page)
    reply = ask(page, ANSWERABLE)
    group = reply.get_by_role("group", name="Was this helpful?")
    expect(group.get_by_role("button")).to_have_count(2)
    with page.expect_response("**/feedback") as sent:
        group.get_by_role("button", name="No").click()
    assert sent.value.ok
    assert sent.value.request.post_data_json["helpful"] is False
    expect(group).to_contain_text("Thanks for your feedback.")
    expect(group.get_by_role("button", name="Yes")).to_be_disabled()
    shot(page, artifacts, "desktop-feedback")
    for question in (OUT_OF_SCOPE, CRISIS):  # only answers are rated
        expect(ask(page, question).get_by_role("group")).to_have_count(0)


def test_too_many_questions_and_unreachable_api_get_clear_messages(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    page.goto(f"{live_server.url}/")
    open_panel(page)
    page.route(
        "**/ask",
        lambda route: route.fulfill(
            status=429,
            json={"error": {"code": "rate_limited", "message": "Too many requests."}},
            headers={"Retry-After": "60"},
        ),
    )
    expect(ask(page, ANSWERABLE)).to_have_text("Too many questions — please try again in a minute.")
    shot(page, artifacts, "desktop-429")
    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.abort("connectionrefused"))
    expect(ask(page, ANSWERABLE)).to_have_text(
        "Can't reach the clinic's answer service right now. Please try again later."
    )
    shot(page, artifacts, "desktop-unreachable")
    page.unroute("**/ask")
    # A real 4xx from the API shows the API's own sentence.
    expect(ask(page, "x" * 1001)).to_have_text("Please keep your question under 1000 characters.")
    violations = axe_violations(page)  # error messages keep AA contrast too
    assert violations == [], json.dumps(violations, indent=1)


def test_foreign_site_is_refused_by_default_cors(
    page: Page, live_server: LiveServer, host_site: HostSite
) -> None:
    """live_server has no FAQBOT_ALLOWED_ORIGINS: only faqbot's own pages may call /ask."""
    open_hostile_page(page, host_site, live_server.url)
    open_panel(page)
    expect(ask(page, ANSWERABLE)).to_have_text(
        "Can't reach the clinic's answer service right now. Please try again later."
    )


def test_data_api_attribute_points_the_widget_at_another_faqbot(
    page: Page, live_server: LiveServer, xss_server: LiveServer, host_site: HostSite
) -> None:
    """widget.js comes from live_server, but data-api sends questions to xss_server."""
    open_hostile_page(page, host_site, live_server.url, data_api=xss_server.url)
    open_panel(page)
    expect(ask(page, "Where do I park?").locator("blockquote")).to_have_text(XSS_PASSAGE)


def test_usable_at_375_px_wide(page: Page, live_server: LiveServer, artifacts: Path) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(f"{live_server.url}/")
    shot(page, artifacts, "375-closed")
    open_panel(page)
    for part in (question_box(page), widget(page).get_by_role("button", name="Send")):
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    reply = ask(page, ANSWERABLE)
    expect(reply.locator("blockquote").first).to_be_in_viewport()
    panel = widget(page).get_by_role("dialog").bounding_box()
    assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, artifacts, "375-answered")
    ask(page, CRISIS)
    shot(page, artifacts, "375-emergency")


def test_axe_finds_no_wcag_a_or_aa_violations_in_the_open_widget(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/")
    open_panel(page)
    ask(page, ANSWERABLE)
    ask(page, OUT_OF_SCOPE)
    ask(page, CRISIS)
    violations: list[dict[str, Any]] = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)


def test_launcher_is_named_and_answers_are_announced_politely(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("button", name=LAUNCHER_NAME)).to_have_count(1)
    open_panel(page)
    expect(conversation(page)).to_have_attribute("aria-live", "polite")
    expect(widget(page).get_by_role("dialog")).to_have_attribute(
        "aria-label", "Ask about our articles"
    )
    assert (
        httpx.get(f"{live_server.url}/widget.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )
