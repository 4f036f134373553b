"""The staff lookup page in real Chromium: search, article filter, the facts staff need, the
Copy button (clipboard permission granted) and a clear message when faqbot is unreachable."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from faqbot.corpus.articles import load_articles

from ..conftest import CORPUS, LiveServer
from .widget import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BODIES = {a.id: a.body for a in load_articles(CORPUS)}
QUERY = "What are the short-term side effects?"


def search(page: Page, query: str) -> None:
    page.get_by_label("Search approved passages").fill(query)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("passages found")


def test_staff_search_filter_and_copy_with_source(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    response = page.goto(f"{live_server.url}/staff")
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    search(page, QUERY)
    expected = httpx.get(f"{live_server.url}/search", params={"q": QUERY, "k": 10}).json()
    results = page.get_by_role("list", name="Matching passages").get_by_role("listitem")
    expect(results).to_have_count(len(expected["results"]))
    first, top = results.first, expected["results"][0]
    expect(first.locator("blockquote")).to_have_text(top["text"])
    assert top["text"] in BODIES[top["article_id"]]
    for fact in ("Ketamine Infusions", top["section"], str(top["version"]), top["approved_on"]):
        expect(first.locator("dl")).to_contain_text(fact)
    expect(first.locator(".score")).to_have_text(f"Score {top['score']:.2f}")
    expect(page.locator("#index-version")).to_have_text(
        f"Index version {expected['index_version']}"
    )

    page.get_by_label("Article").select_option("ketamine-infusions")
    expect(page.get_by_role("status")).to_contain_text("passages found")
    expect(page.get_by_label("Article")).to_have_value("ketamine-infusions")
    page.screenshot(path=artifacts / "staff-desktop-results.png", full_page=False)

    first.get_by_role("button", name="Copy passage 1 with its source").click()
    expect(first.locator(".copy-note")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == (
        f"{top['text']}\n\nSource: {top['article_title']} › {top['section']} — {top['url']}"
    )
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)


def test_staff_page_says_when_faqbot_is_unreachable(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/staff")
    page.route("**/search?*", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Search approved passages").fill(QUERY)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Can't reach the answer service. Check that faqbot is running, then try again."
    )
    expect(page.get_by_role("listitem")).to_have_count(0)


def test_staff_page_at_375_px(page: Page, live_server: LiveServer, artifacts: Path) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/staff")
    search(page, QUERY)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=artifacts / "staff-375-results.png")
