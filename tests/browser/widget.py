"""How a visitor finds the widget's parts: by role and accessible name, as a screen reader
would. Playwright's role and CSS locators reach into the widget's open shadow root."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

LAUNCHER_NAME = "Ask a question about our articles"
HOST = "faqbot-widget-host"


def widget(page: Page) -> Locator:
    return page.locator(HOST)


def launcher(page: Page) -> Locator:
    return widget(page).get_by_role("button", name=LAUNCHER_NAME)


def question_box(page: Page) -> Locator:
    return widget(page).get_by_role("textbox", name="Your question")


def conversation(page: Page) -> Locator:
    return widget(page).get_by_role("log", name="Conversation")


def replies(page: Page) -> Locator:
    """Everything the widget said back (answers, fallbacks, emergencies and errors)."""
    return conversation(page).locator(":scope > .response, :scope > .error")


def open_panel(page: Page) -> None:
    launcher(page).click()
    expect(widget(page).get_by_role("dialog")).to_be_visible()
    expect(question_box(page)).to_be_focused()


def ask(page: Page, question: str) -> Locator:
    """Type a question, press Enter, wait for the widget's reply and return it."""
    before = replies(page).count()
    question_box(page).fill(question)
    question_box(page).press("Enter")
    expect(replies(page)).to_have_count(before + 1)
    reply = replies(page).nth(before)
    expect(conversation(page)).to_have_attribute("aria-busy", "false")
    return reply


def shadow_elements(page: Page, selector: str) -> int:
    """How many elements match inside the widget's shadow root (e.g. injected img/script)."""
    count: int = page.evaluate(
        "([host, sel]) => document.querySelector(host).shadowRoot.querySelectorAll(sel).length",
        [HOST, selector],
    )
    return count


# Runs axe-core (shipped inside the axe-playwright-python wheel) against the page, including
# the widget's open shadow root, for the WCAG 2.0/2.1 A and AA rules (contrast among them).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(Axe().axe_script)
    result: dict[str, Any] = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]],
            "summary": [n.get("failureSummary", "") for n in v["nodes"]][:3],
        }
        for v in result["violations"]
    ]
