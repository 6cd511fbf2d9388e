// PressQA chat page. Every piece of text from questions or releases goes through textContent,
// never innerHTML, so markup inside a release shows as text and runs nothing.
"use strict";

const $ = (id) => document.getElementById(id);

// The previous exchange, sent with the next question so that a follow-up ("and orphan drug designation?")
// can lean on it: the question as the server understood it, and the release its answer cited.
let previous = null;

// Offsets from the API count Unicode code points (Python str); JS strings index UTF-16 units.
function codePoints(text) { return Array.from(text); }

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Fill `parent` with `text`, wrapping the code-point range [start, end) in <mark>.
function appendHighlighted(parent, text, start, end) {
  const chars = codePoints(text);
  if (start === null || start < 0 || end > chars.length || start >= end) {
    parent.append(document.createTextNode(text));
    return null;
  }
  const mark = el("mark", "", chars.slice(start, end).join(""));
  parent.append(document.createTextNode(chars.slice(0, start).join("")), mark,
                document.createTextNode(chars.slice(end).join("")));
  return mark;
}

// The band comes from the server, which sets it from the calibrated score (see the README).
function confidence(answer) {
  const band = answer.confidence || "low";
  return `${band[0].toUpperCase()}${band.slice(1)} confidence`;
}

function describe(p) {
  const parts = [p.date || "undated", p.source || p.doc_id, `chars ${p.start}–${p.end}`];
  return parts.join(" · ");
}

// Who published a release: the site of its URL, else its source, else its id.
function publisher(doc) {
  if (doc.url) {
    try { return new URL(doc.url).hostname; } catch (_) { /* not a URL: fall through */ }
  }
  return doc.source || doc.doc_id;
}

// "Also published by …": the other releases of a family, each opening in the release view.
function renderFamily(members) {
  const line = el("p", "family", "Also published by ");
  members.forEach((doc, i) => {
    const button = el("button", "family-member", publisher(doc));
    button.type = "button";
    button.title = [doc.title, doc.date || "undated"].join(" · ");
    button.addEventListener("click", () => openDocument(doc.doc_id, null, null, button));
    line.append(...(i ? [", ", button] : [button]));
  });
  return line;
}

// The answer (of those given) that this passage holds, if any.
function citedIn(p, answers) {
  return answers.find((a) => a.doc_id === p.doc_id && a.start >= p.start && a.end <= p.end) || null;
}

function renderPassage(p, answers) {
  const item = el("li", "passage");
  const answer = citedIn(p, answers);
  const cited = answer !== null;
  if (cited) item.classList.add("cited");
  const button = el("button", "cite", p.title || p.doc_id);
  button.type = "button";
  button.setAttribute("aria-label", `Open the release: ${p.title || p.doc_id}`);
  const span = cited ? [answer.start, answer.end] : [p.start, p.end];
  button.addEventListener("click", () => openDocument(p.doc_id, span[0], span[1], button));
  item.append(button, el("p", "meta", describe(p) + (cited ? " · cited" : "")));
  const text = el("p", "passage-text");
  text.dataset.docId = p.doc_id;
  text.dataset.start = String(p.start);
  if (cited) appendHighlighted(text, p.text, answer.start - p.start, answer.end - p.start);
  else text.textContent = p.text;
  item.append(text);
  if (p.also_published_by && p.also_published_by.length) item.append(renderFamily(p.also_published_by));
  return item;
}

// "Timeline: CT041 · CARsgen": the names an answer leads on to, each opening that entity's timeline.
function renderNames(names) {
  const line = el("p", "names", "Timeline: ");
  names.forEach((name, i) => {
    const button = el("button", "name-link", name);
    button.type = "button";
    button.setAttribute("aria-label", `Timeline of ${name}`);
    button.addEventListener("click", () => showTimeline(name));
    line.append(...(i ? [" · ", button] : [button]));
  });
  return line;
}

// A list answer: each item with its release's date and title, opening the release at the span.
function renderAnswerList(answers, question) {
  const list = el("ol", "answer-list");
  for (const a of answers) {
    const item = el("li", "answer-item");
    const button = el("button", "answer-text", a.text);
    button.type = "button";
    button.setAttribute("aria-label", `${a.text}: open the release`);
    button.addEventListener("click", () => openDocument(a.doc_id, a.start, a.end, button));
    const where = [a.date || "undated", a.title || a.doc_id].join(" · ");
    item.append(button, el("p", "meta", `${where} · ${confidence(a)} (score ${a.score.toFixed(2)})`));
    if (a.names && a.names.length) item.append(renderNames(a.names));
    item.append(renderFeedback(question, a));
    list.append(item);
  }
  return list;
}

// ---- feedback: a right/wrong control on each answer, and a correction selected in a passage ----------------

function apiKey() { return $("api-key").value.trim(); }

// POST /feedback; says how it went in `status`. Returns whether it was saved.
async function sendFeedback(question, answer, verdict, correct, status) {
  const body = { question, verdict, answer: { text: answer.text, doc_id: answer.doc_id, start: answer.start, end: answer.end } };
  if (correct) body.correct = correct;
  const headers = { "Content-Type": "application/json" };
  if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  try {
    const response = await fetch("/feedback", { method: "POST", headers, body: JSON.stringify(body) });
    if (response.ok) {
      status.textContent = correct ? "Thanks: your correction is saved." : `Thanks: saved as ${verdict}.`;
      return true;
    }
    const hint = response.status === 401 ? " Enter the server's API key under Options." : "";
    status.textContent = `Not saved: ${await errorMessage(response)}${hint}`;
  } catch (_) {
    status.textContent = "Not saved: PressQA could not be reached.";
  }
  return false;
}

// The text selected inside one passage, as offsets into its release; null when there is none.
function selectedSpan() {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  const node = range.startContainer;
  const holder = (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement).closest(".passage-text");
  if (!holder || !holder.contains(range.endContainer)) return null;
  const before = document.createRange();
  before.selectNodeContents(holder);
  before.setEnd(range.startContainer, range.startOffset);
  const selected = range.toString();
  const lead = selected.length - selected.trimStart().length;
  const start = codePoints(before.toString() + selected.slice(0, lead)).length;
  const length = codePoints(selected.trim()).length;
  if (!length) return null;
  const offset = Number(holder.dataset.start);
  return { doc_id: holder.dataset.docId, start: offset + start, end: offset + start + length };
}

function renderFeedback(question, answer) {
  const box = el("div", "feedback");
  const right = el("button", "verdict", "Right");
  const wrong = el("button", "verdict", "Wrong");
  const status = el("span", "feedback-status");
  status.setAttribute("role", "status");
  for (const [button, verdict] of [[right, "right"], [wrong, "wrong"]]) {
    button.type = "button";
    button.setAttribute("aria-label", `${verdict === "right" ? "Right" : "Wrong"} answer: ${answer.text}`);
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", async () => {
      if (!(await sendFeedback(question, answer, verdict, null, status))) return;
      right.setAttribute("aria-pressed", String(verdict === "right"));
      wrong.setAttribute("aria-pressed", String(verdict === "wrong"));
      box.querySelector(".correct")?.remove();
      if (verdict === "wrong") box.append(renderCorrection(question, answer, status));
    });
  }
  box.append(right, wrong, status);
  return box;
}

// After "Wrong": select the right answer in a passage, then send it.
function renderCorrection(question, answer, status) {
  const button = el("button", "correct", "Use my selection as the right answer");
  button.type = "button";
  button.title = "Select the right answer in one of the passages below first";
  button.addEventListener("click", async () => {
    const span = selectedSpan();
    if (!span) {
      status.textContent = "Select the right answer in one of the passages first.";
      return;
    }
    if (await sendFeedback(question, answer, "wrong", span, status)) button.remove();
  });
  return button;
}

// "Download CSV": the same request again as CSV (one row per answer), saved as a file.
function renderDownload(request) {
  const button = el("button", "download", "Download CSV");
  button.type = "button";
  button.addEventListener("click", async () => {
    try {
      const response = await fetch("/ask?format=csv", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request),
      });
      if (!response.ok) throw new Error(await errorMessage(response));
      saveFile(await response.blob(), "pressqa-answers.csv");
    } catch (err) {
      button.after(renderError(`Could not download: ${err.message}`));
    }
  });
  return button;
}

function saveFile(blob, name) {
  const link = el("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function renderAnswer(body, question, request) {
  const turn = el("article", "turn-answer");
  const answers = body.answers || (body.answer ? [body.answer] : []);
  if (body.understood_as) turn.append(el("p", "understood", `Understood as: ${body.understood_as}`));
  if (body.from_previous_release) turn.append(el("p", "anchored", "Read first in the release of the previous answer."));
  if (answers.length > 1) {
    turn.append(el("p", "list-head", `${answers.length} answers, each from its own release:`));
    turn.append(renderAnswerList(answers, question));
    if (request) turn.append(renderDownload(request));
  } else if (answers.length === 1) {
    turn.append(el("p", "answer-text", answers[0].text));
    turn.append(el("p", "confidence", `${confidence(answers[0])} (score ${answers[0].score.toFixed(2)})`));
    if (answers[0].names && answers[0].names.length) turn.append(renderNames(answers[0].names));
    turn.append(renderFeedback(question, answers[0]));
  } else {
    turn.append(el("p", "abstain", "The releases don't answer this."));
    if (body.passages.length) turn.append(el("p", "confidence", "The closest passages:"));
  }
  turn.append(renderWatchButton(question));
  const list = el("ol", "passages");
  const items = body.passages.map((p) => renderPassage(p, answers));
  items.sort((a, b) => b.classList.contains("cited") - a.classList.contains("cited"));  // cited first
  list.append(...items);
  turn.append(list);
  return turn;
}

function renderError(message) {
  const box = el("p", "error", message);
  box.setAttribute("role", "alert");
  return box;
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
  } catch (_) { /* not JSON */ }
  return `The server answered ${response.status} ${response.statusText}.`;
}

function requestBody(question) {
  const count = $("answers").value;
  const body = {
    question,
    top_k: Number($("top-k").value),
    mode: $("mode").value,
    answers: count === "auto" ? "auto" : Number(count),
    order: $("order").value,
  };
  if (previous) body.context = previous;
  const filters = {};
  if ($("date-from").value) filters.date_from = $("date-from").value;
  if ($("date-to").value) filters.date_to = $("date-to").value;
  if (Object.keys(filters).length) body.filters = filters;
  return body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// POST /ask; a server too busy to take the question (503 with Retry-After) is asked once more after the wait.
async function postAsk(body) {
  const send = () => fetch("/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const response = await send();
  const wait = Number(response.headers.get("Retry-After"));
  if (response.status !== 503 || !wait) return response;
  $("status").textContent = `PressQA is busy: retrying in ${wait} s…`;
  await sleep(wait * 1000);
  $("status").textContent = "Searching the releases…";
  return send();
}

function setBusy(busy) {
  $("question").disabled = busy;
  $("send").disabled = busy;
  $("status").textContent = busy ? "Searching the releases…" : "";
  document.body.setAttribute("aria-busy", String(busy));
}

async function ask(event) {
  event.preventDefault();
  const input = $("question");
  const question = input.value.trim();
  if (!question) return;
  const conversation = $("conversation");
  const hint = $("empty-hint");
  if (hint) hint.remove();
  setBusy(true);
  let reply;
  let ok = false;
  try {
    const request = requestBody(question);
    const response = await postAsk(request);
    if (response.ok) {
      const body = await response.json();
      reply = renderAnswer(body, body.understood_as || question, request);
      previous = { question: body.understood_as || question };
      if (body.answer) {
        previous.doc_id = body.answer.doc_id;
        previous.answer = body.answer.text.slice(0, 300);
      }
      ok = true;
    } else {
      reply = renderError(`Sorry, that did not work: ${await errorMessage(response)}`);
    }
  } catch (_) {
    reply = renderError("Sorry, PressQA could not be reached. Check that the server is running and try again.");
  }
  conversation.append(el("p", "turn-question", question), reply);
  setBusy(false);
  if (ok) input.value = "";  // on failure the question stays, ready to send again
  input.focus();
  reply.scrollIntoView({ block: "nearest" });
}

const TIMELINE_PAGE = 10;

// One timeline entry: date, the title opening the release at the sentence, and the sentence.
function renderTimelineItem(item) {
  const row = el("li", "timeline-item");
  row.append(el("p", "timeline-date", item.date || "undated"));
  const button = el("button", "cite", item.title || item.doc_id);
  button.type = "button";
  button.addEventListener("click", () => openDocument(item.doc_id, item.start, item.end, button));
  row.append(button, el("p", "timeline-sentence", item.sentence));
  if (item.undated) row.append(el("p", "meta", "This release has no date: listed after the dated ones."));
  if (item.also_published_by.length) row.append(renderFamily(item.also_published_by));
  return row;
}

// The releases that mention `name`, newest first, as a turn of the conversation; "More" fetches the next page.
async function showTimeline(name) {
  const turn = el("article", "turn-answer timeline");
  turn.setAttribute("aria-label", `Timeline of ${name}`);
  const head = el("p", "list-head", `Timeline of ${name}: loading…`);
  const list = el("ol", "timeline-list");
  const csv = el("a", "download", "Download CSV");
  csv.href = `/timeline?q=${encodeURIComponent(name)}&format=csv&limit=100`;
  csv.download = "pressqa-timeline.csv";
  turn.append(head, csv, list);
  $("conversation").append(turn);
  const more = el("button", "more", "More");
  more.type = "button";
  let offset = 0;
  async function load() {
    more.remove();
    try {
      const response = await fetch(`/timeline?q=${encodeURIComponent(name)}&offset=${offset}&limit=${TIMELINE_PAGE}`);
      if (!response.ok) throw new Error(await errorMessage(response));
      const body = await response.json();
      head.textContent = body.total
        ? `Timeline of ${name}: ${body.total} release${body.total === 1 ? "" : "s"}, newest first`
        : `No release mentions ${name}.`;
      list.append(...body.items.map(renderTimelineItem));
      offset += body.items.length;
      if (offset < body.total) turn.append(more);
    } catch (err) {
      turn.append(renderError(`Could not load the timeline: ${err.message}`));
    }
  }
  more.addEventListener("click", load);
  await load();
  turn.scrollIntoView({ block: "nearest" });
}

async function openDocument(docId, start, end, opener) {
  const dialog = $("doc-view");
  const text = $("doc-text");
  text.textContent = "Loading…";
  $("doc-title").textContent = "";
  $("doc-meta").textContent = "";
  $("doc-family").replaceChildren();
  if (!dialog.open) dialog.showModal();
  dialog.returnFocusTo = opener;
  try {
    const response = await fetch(`/documents/${encodeURIComponent(docId)}`);
    if (!response.ok) throw new Error(await errorMessage(response));
    const doc = await response.json();
    $("doc-title").textContent = doc.title || doc.doc_id;
    $("doc-meta").textContent = [doc.date || "undated", doc.source || doc.doc_id].join(" · ");
    $("doc-family").replaceChildren(...(doc.family && doc.family.length ? [renderFamily(doc.family)] : []));
    text.textContent = "";
    const mark = appendHighlighted(text, doc.text, start, end);
    if (mark) mark.scrollIntoView({ block: "center" });
  } catch (err) {
    text.textContent = "";
    text.append(renderError(`Could not open the release: ${err.message}`));
  }
}

// A new topic: the conversation is cleared and the next question is read on its own.
function startOver() {
  previous = null;
  const hint = el("p", "empty-hint", "New topic: ask anything about the releases.");
  hint.id = "empty-hint";
  $("conversation").replaceChildren(hint);
  $("question").focus();
}

function closeDocument() {
  const dialog = $("doc-view");
  dialog.close();
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", ask);
  $("doc-close").addEventListener("click", closeDocument);
  $("start-over").addEventListener("click", startOver);
  $("doc-view").addEventListener("close", () => {
    const opener = $("doc-view").returnFocusTo;
    if (opener) opener.focus();
  });
  $("question").focus();
});
