// Saved questions on the chat page: "Watch this question" under an answer, and an Alerts panel listing the
// releases found since to answer them, with a badge counting the ones not seen yet. Uses app.js's helpers;
// every piece of text goes through textContent, as there.
"use strict";

const ALERT_POLL_MS = 10000;
const SEEN_KEY = "pressqa-alerts-seen";  // watch id -> the `found` time of the newest hit seen on this browser

let alerts = [];  // [{ watch, hit, unseen }], newest first

function seenTimes() {
  try { return JSON.parse(localStorage.getItem(SEEN_KEY)) || {}; } catch (_) { return {}; }
}

// Under an answer (or "the releases don't answer this"): save the question, so new releases are asked it.
function renderWatchButton(question) {
  const box = el("div", "watch");
  const button = el("button", "watch-button", "Watch this question");
  button.type = "button";
  button.title = "Be alerted when a release added from now on answers it";
  const status = el("span", "watch-status");
  status.setAttribute("role", "status");
  button.addEventListener("click", async () => {
    const headers = { "Content-Type": "application/json" };
    if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
    try {
      const response = await fetch("/watches", { method: "POST", headers, body: JSON.stringify({ question }) });
      if (response.ok) {
        button.disabled = true;
        button.textContent = "Watching";
        status.textContent = "New releases that answer it will show under Alerts.";
        refreshAlerts();
        return;
      }
      const keyed = response.status === 401 || response.status === 403;
      status.textContent = `Not saved: ${await errorMessage(response)}${keyed ? " Enter the server's API key under Options." : ""}`;
    } catch (_) {
      status.textContent = "Not saved: PressQA could not be reached.";
    }
  });
  box.append(button, status);
  return box;
}

// Every saved question's hits, newest first; the badge shows how many this browser has not seen.
async function refreshAlerts() {
  try {
    const response = await fetch("/watches");
    if (!response.ok) return;
    const seen = seenTimes();
    const found = [];
    for (const watch of (await response.json()).filter((w) => w.hits > 0)) {
      const hits = await fetch(`/watches/${watch.id}/hits`);
      if (!hits.ok) continue;
      for (const hit of await hits.json()) found.push({ watch, hit, unseen: !seen[watch.id] || hit.found > seen[watch.id] });
    }
    found.sort((a, b) => (a.hit.found < b.hit.found ? 1 : -1));
    alerts = found;
    showBadge();
    if (!$("alerts").hidden) renderAlerts();
  } catch (_) { /* the next poll tries again */ }
}

function showBadge() {
  const unseen = alerts.filter((a) => a.unseen).length;
  const badge = $("alerts-badge");
  badge.textContent = String(unseen);
  badge.hidden = unseen === 0;
  $("alerts-button").setAttribute("aria-label", unseen ? `Alerts: ${unseen} new` : "Alerts");
}

// One hit: the saved question, the answer highlighted (opening its release at the span), where and when.
function renderAlert({ watch, hit, unseen }) {
  const item = el("li", unseen ? "alert-item unseen" : "alert-item");
  item.append(el("p", "alert-question", watch.question));
  const answer = el("button", "cite alert-answer");
  answer.type = "button";
  answer.setAttribute("aria-label", `${hit.answer}: open the release`);
  answer.append(el("mark", "", hit.answer));
  answer.addEventListener("click", () => openDocument(hit.doc_id, hit.start, hit.end, answer));
  const where = [hit.date || "undated", hit.title || hit.doc_id, `found ${hit.found.slice(0, 16).replace("T", " ")} UTC`];
  item.append(answer, el("p", "meta", `${where.join(" · ")} · score ${hit.score.toFixed(2)}`));
  return item;
}

function renderAlerts() {
  const list = el("ol", "alert-list");
  list.append(...alerts.map(renderAlert));
  const empty = el("p", "empty-hint", "No alerts yet: watch a question, and releases added later that answer it show here.");
  const downloads = el("p", "meta");
  const watched = new Map(alerts.map((a) => [a.watch.id, a.watch]));
  for (const watch of watched.values()) {
    const link = el("a", "download", `Download CSV: ${watch.question}`);
    link.href = `/watches/${watch.id}/hits?format=csv`;
    link.download = `pressqa-watch-${watch.id}.csv`;
    downloads.append(link, " ");
  }
  $("alerts-body").replaceChildren(...(alerts.length ? [list, downloads] : [empty]));
}

// Opening the panel shows every hit and marks them seen on this browser.
async function toggleAlerts() {
  const panel = $("alerts");
  panel.hidden = !panel.hidden;
  $("alerts-button").setAttribute("aria-expanded", String(!panel.hidden));
  if (panel.hidden) return;
  await refreshAlerts();
  renderAlerts();
  const seen = seenTimes();
  for (const { watch, hit } of alerts) if (!seen[watch.id] || hit.found > seen[watch.id]) seen[watch.id] = hit.found;
  localStorage.setItem(SEEN_KEY, JSON.stringify(seen));
  for (const a of alerts) a.unseen = false;
  showBadge();
}

document.addEventListener("DOMContentLoaded", () => {
  $("alerts-button").addEventListener("click", toggleAlerts);
  refreshAlerts();
  setInterval(refreshAlerts, ALERT_POLL_MS);
});
