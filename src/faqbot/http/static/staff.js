/* Staff lookup: ranked approved passages from GET /search, with a "Copy" button that copies
 * the exact wording plus its source. All API text goes in through textContent. */
(() => {
  "use strict";
  const DEBOUNCE_MS = 350; // search as staff type, without a request per keystroke
  const MIN_QUERY = 2;
  const COPIED_MS = 2500; // long enough to read, short enough not to linger on the next copy

  const form = document.querySelector("form.controls");
  const q = document.getElementById("q");
  const articleSelect = document.getElementById("article");
  const kSelect = document.getElementById("k");
  const statusLine = document.getElementById("status");
  const errorBox = document.getElementById("error");
  const resultsList = document.getElementById("results");
  const indexLine = document.getElementById("index-version");

  let inflight = null;
  let debounceTimer = 0;

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function str(value) {
    return typeof value === "string" ? value : "";
  }

  /** Only http(s) URLs may become links; anything else is shown as plain text. */
  function safeHref(raw) {
    try {
      const url = new URL(str(raw), location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  /** The text staff paste to a patient: approved wording, then where it comes from. */
  function copyText(result) {
    return (
      str(result.text) + "\n\nSource: " + str(result.article_title) + " › " +
      str(result.section) + " — " + str(result.url)
    );
  }

  /** Shows an error and clears old results, so nobody copies passages from a stale search. */
  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
    if (message) resultsList.replaceChildren();
  }

  async function errorMessage(response) {
    if (response.status === 429) return "Too many searches — please wait a minute and try again.";
    try {
      const body = await response.json();
      const message = body && body.error && body.error.message;
      if (typeof message === "string" && message) {
        return message + " (HTTP " + response.status + ")";
      }
    } catch (_) {
      /* not JSON */
    }
    return "The search failed (HTTP " + response.status + ").";
  }

  function fillArticles(articles) {
    if (!Array.isArray(articles)) return;
    const wanted = articles.filter((a) => a && typeof a.id === "string" && a.id);
    const current = Array.from(articleSelect.options).slice(1).map((o) => o.value);
    if (wanted.length === current.length && wanted.every((a, i) => a.id === current[i])) return;
    const selected = articleSelect.value;
    articleSelect.length = 1; // keep "All articles"
    for (const article of wanted) {
      articleSelect.append(el("option", { value: article.id, text: str(article.title) || article.id }));
    }
    articleSelect.value = wanted.some((a) => a.id === selected) ? selected : "";
  }

  async function copy(result, button, note) {
    const text = copyText(result);
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      note.classList.remove("copy-failed");
      note.textContent = "Copied";
      setTimeout(() => { note.textContent = ""; }, COPIED_MS);
    } catch (_) {
      note.textContent = "Copy failed — select the passage and copy it by hand.";
      note.classList.add("copy-failed");
    }
  }

  function renderResult(result, rank) {
    const score = Number(result.score);
    const href = safeHref(result.url);
    const sectionLabel = str(result.section) || "(no section)";
    const source = href
      ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: str(result.url) })
      : el("span", { text: str(result.url) });
    const button = el("button", {
      type: "button", class: "copy",
      "aria-label": "Copy passage " + rank + " with its source", text: "Copy",
    });
    const note = el("span", { class: "copy-note", "aria-live": "polite" });
    button.addEventListener("click", () => copy(result, button, note));

    return el("li", { class: "result" }, [
      el("div", { class: "result-head" }, [
        el("h2", { text: str(result.article_title) + " › " + sectionLabel }),
        el("span", { class: "score", text: "Score " + (Number.isFinite(score) ? score.toFixed(2) : "—") }),
      ]),
      el("dl", { class: "facts" }, [
        el("dt", { text: "Article" }), el("dd", { text: str(result.article_title) }),
        el("dt", { text: "Section" }), el("dd", { text: sectionLabel }),
        el("dt", { text: "Version" }), el("dd", { text: String(result.version ?? "") }),
        el("dt", { text: "Approved" }), el("dd", { text: str(result.approved_on) }),
        el("dt", { text: "Passage id" }), el("dd", { class: "mono", text: str(result.id) }),
      ]),
      el("blockquote", { text: str(result.text) }),
      el("p", { class: "source" }, ["Source: ", source]),
      el("div", { class: "actions" }, [button, note]),
    ]);
  }

  function render(body) {
    const results = Array.isArray(body.results) ? body.results : [];
    resultsList.replaceChildren(
      ...results.filter((r) => r && typeof r === "object").map((r, i) => renderResult(r, i + 1)),
    );
    indexLine.textContent = body.index_version ? "Index version " + body.index_version : "";
    statusLine.textContent = results.length === 1 ? "1 passage found." : results.length + " passages found.";
  }

  async function search() {
    const query = q.value.trim();
    if (query.length < MIN_QUERY) {
      statusLine.textContent = query ? "Type at least " + MIN_QUERY + " characters." : "";
      return;
    }
    if (inflight) inflight.abort(); // only the newest search may paint results
    const controller = new AbortController();
    inflight = controller;
    const params = new URLSearchParams({ q: query, k: kSelect.value });
    if (articleSelect.value) params.set("article", articleSelect.value);
    statusLine.textContent = "Searching…";
    resultsList.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/search?" + params, {
        headers: { Accept: "application/json" }, cache: "no-store", signal: controller.signal,
      });
      if (!response.ok) {
        showError(await errorMessage(response));
        statusLine.textContent = "";
        return;
      }
      const body = await response.json();
      showError("");
      fillArticles(body.articles);
      render(body);
    } catch (err) {
      if (err && err.name === "AbortError") return;
      showError("Can't reach the answer service. Check that faqbot is running, then try again.");
      statusLine.textContent = "";
    } finally {
      if (inflight === controller) {
        inflight = null;
        resultsList.setAttribute("aria-busy", "false");
      }
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(debounceTimer);
    search();
  });
  q.addEventListener("input", () => {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(search, DEBOUNCE_MS);
  });
  articleSelect.addEventListener("change", search);
  kSelect.addEventListener("change", search);
})();
