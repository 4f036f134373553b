/* faqbot chat widget: quotes the clinic's approved article text, word for word.
 * Embed: <script src="https://faqbot.example/widget.js" defer></script>
 * Optional data-api="https://other.example" on the tag overrides the API origin.
 * Renders inside an open shadow root; text goes in through textContent only, never innerHTML. */
(() => {
  "use strict";
  const HOST_TAG = "faqbot-widget-host";
  const TIMEOUT_MS = 20000; // a question that takes longer is treated as "can't reach"
  const PHONE = /\b(?:911|988)\b|(?:\+?1[ .-]?)?\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b/g;
  const TEXT = {
    launcher: "Ask a question",
    launcherName: "Ask a question about our articles",
    title: "Ask about our articles",
    intro: "Answers are quoted word for word from our approved articles.",
    label: "Your question",
    send: "Send",
    close: "Close",
    loading: "Looking up approved answers…",
    unreachable: "Can't reach the clinic's answer service right now. Please try again later.",
    tooMany: "Too many questions — please try again in a minute.",
    badRequest: "Sorry, that question couldn't be sent.",
    serverError: "Sorry, something went wrong on our side. Please try again later.",
    related: "Related sections:",
    helpful: "Was this helpful?",
    thanks: "Thanks for your feedback.",
    feedbackFailed: "Sorry, your feedback couldn't be recorded.",
  };

  const script =
    document.currentScript || document.querySelector('script[src$="widget.js"]');
  if (document.querySelector(HOST_TAG)) return; // loaded twice: keep the first

  function apiBase() {
    const override = script && script.getAttribute("data-api");
    try {
      if (override) {
        const url = new URL(override, document.baseURI);
        if (url.protocol === "http:" || url.protocol === "https:") {
          return url.href.replace(/\/+$/, "");
        }
      }
      if (script && script.src) return new URL(script.src).origin;
    } catch (_) {
      /* fall through to the page's own origin */
    }
    return location.origin;
  }
  const API = apiBase();

  /** Only http(s) URLs from the API may become links; anything else stays plain text. */
  function safeHref(raw) {
    if (typeof raw !== "string") return null;
    try {
      const url = new URL(raw, API + "/");
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

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

  function link(label, rawUrl) {
    const href = safeHref(rawUrl);
    if (!href) return el("span", { text: label });
    return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, [
      label, el("span", { class: "sr", text: " (opens in a new tab)" }),
    ]);
  }

  function sourceLabel(item) {
    return [str(item.article_title), str(item.section)].filter(Boolean).join(" › ");
  }

  /** Appends text, turning phone numbers into tel: links built from DOM nodes. */
  function appendWithPhoneLinks(parent, text) {
    let last = 0;
    for (const match of text.matchAll(PHONE)) {
      parent.append(text.slice(last, match.index));
      const digits = match[0].replace(/[^\d+]/g, "");
      parent.append(el("a", { href: "tel:" + digits, text: match[0] }));
      last = match.index + match[0].length;
    }
    parent.append(text.slice(last));
  }

  const CSS = `
:host{all:initial!important;position:fixed!important;right:1em!important;bottom:1em!important;
 z-index:2147483000!important;display:block!important;font:16px/1.45 system-ui,-apple-system,
 "Segoe UI",Roboto,Arial,sans-serif!important;color:#1f2937!important}
*{box-sizing:border-box}
[hidden]{display:none!important}
button,input{font:inherit;color:inherit}
:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
.launcher{display:flex;align-items:center;gap:.5em;min-height:48px;padding:.6em 1.1em;
 border:2px solid #fff;border-radius:999px;background:#0b4f8a;color:#fff;font-weight:600;
 cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher:hover{background:#083b68}
.launcher:focus-visible{outline-color:#0b4f8a;outline-offset:3px}
.panel{position:fixed;right:1em;bottom:5em;width:min(24em,calc(100vw - 2em));
 height:min(36em,calc(100vh - 6.5em));height:min(36em,calc(100dvh - 6.5em));
 display:flex;flex-direction:column;background:#fff;border:1px solid #6b7280;
 border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.3);overflow:hidden}
.head{display:flex;align-items:center;justify-content:space-between;gap:.5em;
 padding:.6em .75em .6em 1em;background:#0b4f8a;color:#fff}
.head h2{margin:0;font-size:1.05em}
.close{min-width:44px;min-height:44px;border:1px solid transparent;border-radius:6px;
 background:transparent;color:#fff;font-size:1.5em;line-height:1;cursor:pointer}
.close:hover{border-color:#fff}
.close:focus-visible{outline-color:#fff;outline-offset:-4px}
.intro{margin:0;padding:.5em 1em;font-size:.875em;background:#f3f4f6;
 border-bottom:1px solid #d1d5db}
.log{position:relative;flex:1;overflow-y:auto;padding:.75em 1em}
.msg{margin:0 0 .9em;overflow-wrap:anywhere}
.msg p{margin:.3em 0}
.question{margin-left:2em;padding:.5em .75em;border-radius:10px;background:#e0ecf8;
 white-space:pre-wrap}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
 white-space:nowrap}
blockquote{margin:.4em 0 .2em;padding:.5em .75em;border-left:4px solid #0b4f8a;
 background:#f9fafb;white-space:pre-line}
.source{font-size:.875em}
a{color:#0b4f8a;text-decoration:underline}
.disclaimer{font-size:.875em;color:#374151;font-style:italic}
.fallback{padding:.5em .75em;border:1px solid #d1d5db;border-radius:8px;background:#f9fafb}
.fallback ul{margin:.2em 0;padding-left:1.2em}
.emergency{padding:.75em;border:2px solid #b91c1c;border-left-width:8px;border-radius:8px;
 background:#fef2f2;color:#7f1d1d;font-weight:600;font-size:1.05em}
.emergency a{color:#7f1d1d;font-weight:700}
.error{padding:.5em .75em;border:1px solid #b91c1c;border-radius:8px;color:#991b1b;
 background:#fff}
.loading{color:#374151;font-style:italic}
.feedback{display:flex;flex-wrap:wrap;align-items:center;gap:.5em;font-size:.875em}
.feedback button{min-height:36px;padding:.2em .9em;border:1px solid #0b4f8a;
 border-radius:6px;background:#fff;color:#0b4f8a;cursor:pointer}
.feedback button:disabled{border-color:#6b7280;color:#4b5563;cursor:default}
.form{display:flex;flex-direction:column;gap:.35em;padding:.6em 1em .8em;
 border-top:1px solid #d1d5db}
.form label{font-weight:600;font-size:.9em}
.row{display:flex;gap:.5em}
.row input{flex:1;min-width:0;min-height:44px;padding:.4em .6em;border:1px solid #6b7280;
 border-radius:6px;background:#fff}
.send{min-height:44px;padding:.4em 1em;border:1px solid #0b4f8a;border-radius:6px;
 background:#0b4f8a;color:#fff;font-weight:600;cursor:pointer}
.send:disabled{background:#4b5563;border-color:#4b5563;cursor:default}
@media (max-width:480px){:host{right:.5em!important;bottom:.5em!important}
 .panel{right:.5em;bottom:4.5em;width:calc(100vw - 1em);
 height:calc(100vh - 5.5em);height:calc(100dvh - 5.5em)}}
`;

  function build() {
    const host = document.createElement(HOST_TAG);
    const root = host.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } // else: old browser, unstyled but still usable; no inline <style> so CSP stays strict

    const launcher = el("button", {
      type: "button", class: "launcher", "aria-label": TEXT.launcherName,
      "aria-expanded": "false", "aria-controls": "panel", text: TEXT.launcher,
    });
    const close = el("button", {
      type: "button", class: "close", "aria-label": TEXT.close, text: "×",
    });
    const log = el("div", {
      class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation",
      tabindex: "0",
    });
    const input = el("input", {
      id: "question", type: "text", autocomplete: "off", enterkeyhint: "send",
    });
    const send = el("button", { type: "submit", class: "send", text: TEXT.send });
    const form = el("form", { class: "form", novalidate: "" }, [
      el("label", { for: "question", text: TEXT.label }),
      el("div", { class: "row" }, [input, send]),
    ]);
    const panel = el("div", {
      id: "panel", class: "panel", role: "dialog", "aria-label": TEXT.title, hidden: "",
    }, [
      el("div", { class: "head" }, [el("h2", { text: TEXT.title }), close]),
      el("p", { class: "intro", text: TEXT.intro }),
      log,
      form,
    ]);
    root.append(panel, launcher);
    return { host, launcher, close, panel, log, input, send, form };
  }

  const ui = build();
  let busy = false;

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    (open ? ui.input : ui.launcher).focus();
  }

  ui.launcher.addEventListener("click", () => setOpen(ui.panel.hidden));
  ui.close.addEventListener("click", () => setOpen(false));
  ui.launcher.parentNode.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !ui.panel.hidden) { // from the panel or the launcher
      event.preventDefault();
      setOpen(false);
    }
  });

  function addToLog(node) {
    ui.log.append(node);
    ui.log.scrollTop = Math.max(0, node.offsetTop - 8);
    return node;
  }

  async function post(path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      return await fetch(API + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The text to show for a non-2xx response, following the API's error shape. */
  async function errorText(response) {
    if (response.status === 429) return TEXT.tooMany;
    if (response.status >= 500) return TEXT.serverError;
    try {
      const body = await response.json();
      const message = body && body.error && body.error.message;
      if (typeof message === "string" && message.trim()) return message;
    } catch (_) {
      /* not JSON: use the generic wording */
    }
    return TEXT.badRequest;
  }

  function errorNode(text) {
    return el("div", { class: "msg error", text });
  }

  function renderPassage(passage) {
    const quote = el("blockquote", { text: str(passage.text) });
    const source = el("p", { class: "source" }, [
      "Source: ", link(sourceLabel(passage), passage.url),
    ]);
    return el("div", { class: "passage" }, [quote, source]);
  }

  function feedbackNode(answerId) {
    const yes = el("button", { type: "button", text: "Yes" });
    const no = el("button", { type: "button", text: "No" });
    const note = el("span", { class: "note", tabindex: "-1" });
    const group = el("div", { class: "feedback", role: "group", "aria-label": TEXT.helpful }, [
      el("span", { text: TEXT.helpful }), yes, no, note,
    ]);
    async function vote(helpful) {
      yes.disabled = no.disabled = true;
      let ok = false;
      let retry = true;
      try {
        const response = await post("/feedback", { answer_id: answerId, helpful });
        ok = response.ok;
        retry = response.status >= 500;
      } catch (_) {
        /* network: let the visitor try again */
      }
      note.textContent = ok ? TEXT.thanks : TEXT.feedbackFailed;
      if (!ok && retry) yes.disabled = no.disabled = false;
      else note.focus(); // the pressed button is now disabled; keep keyboard focus nearby
    }
    yes.addEventListener("click", () => vote(true));
    no.addEventListener("click", () => vote(false));
    return group;
  }

  function renderAnswer(body) {
    const status = body.status;
    const message = str(body.message);
    const node = el("div", { class: "msg response" });
    if (status === "emergency") {
      const alert = el("div", { class: "emergency", role: "alert" });
      appendWithPhoneLinks(alert, message);
      node.append(alert);
      return node;
    }
    if (status === "answered") {
      const passages = Array.isArray(body.passages) ? body.passages : [];
      for (const passage of passages) {
        if (passage && typeof passage === "object") node.append(renderPassage(passage));
      }
      node.append(el("p", { class: "disclaimer", text: message }));
      if (typeof body.answer_id === "string" && body.answer_id) {
        node.append(feedbackNode(body.answer_id));
      }
      return node;
    }
    const box = el("div", { class: "fallback" }, [el("p", { text: message })]);
    const related = Array.isArray(body.related) ? body.related : [];
    const items = related.filter((r) => r && typeof r === "object" && sourceLabel(r));
    if (items.length) {
      box.append(
        el("p", { text: TEXT.related }),
        el("ul", {}, items.map((r) => el("li", {}, [link(sourceLabel(r), r.url)]))),
      );
    }
    node.append(box);
    return node;
  }

  async function ask(question) {
    busy = true;
    ui.send.disabled = true;
    addToLog(el("div", { class: "msg question" }, [
      el("span", { class: "sr", text: "You asked: " }), question,
    ]));
    const loading = addToLog(el("p", { class: "msg loading", text: TEXT.loading }));
    ui.log.setAttribute("aria-busy", "true");
    let result;
    try {
      const response = await post("/ask", { question });
      if (!response.ok) {
        result = errorNode(await errorText(response));
      } else {
        const body = await response.json().catch(() => null);
        result = body && typeof body === "object" && typeof body.message === "string"
          ? renderAnswer(body)
          : errorNode(TEXT.serverError);
      }
    } catch (_) {
      result = errorNode(TEXT.unreachable);
    }
    loading.remove();
    addToLog(result);
    ui.log.setAttribute("aria-busy", "false");
    ui.send.disabled = false;
    busy = false;
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = ui.input.value.trim();
    if (!question || busy) return;
    ui.input.value = "";
    ask(question);
  });

  function mount() {
    document.body.append(ui.host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
