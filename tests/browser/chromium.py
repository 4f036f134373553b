"""Debian's Chromium as the browser tests and bench/web_render.py launch it, and the page
scripts both use to time how long the widget takes to show an answer."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]
# Render time: the moment the answer's node is inserted, and the next frame after it, against
# the browser's own Resource Timing for the /ask request (so /ask latency is taken out).
WATCH_RENDER = """() => {
  const log = document.querySelector('faqbot-widget-host').shadowRoot.querySelector('[role=log]');
  window.__render = new Promise((resolve) => {
    const seen = new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) {
        if (node.nodeType === 1 && node.classList.contains('response')) {
          const inserted = performance.now();
          seen.disconnect();
          requestAnimationFrame(() => resolve({inserted, frame: performance.now()}));
        }
      }
    });
    seen.observe(log, {childList: true});
  });
}"""
READ_RENDER = """async () => {
  const marks = await window.__render;
  const asks = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/ask'));
  const req = asks[asks.length - 1];
  return {ask_ms: req.responseEnd - req.startTime,
          dom_ms: marks.inserted - req.responseEnd, frame_ms: marks.frame - req.responseEnd};
}"""
