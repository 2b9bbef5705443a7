// Live count: reconciliation, running totals and the last ballot, from server-sent events.
"use strict";
(function () {
  const root = document.getElementById("projector") || document.getElementById("reconciliation");
  if (!root || !window.EventSource) return;
  const source = new EventSource(root.dataset.events);
  const lang = document.documentElement.lang || "vi";
  // Numbers as the page's language writes them (Vietnamese: 1.234; 96,23).
  const number = (value) => typeof value === "number" ? value.toLocaleString(lang) : String(value);
  const set = (field, value) => {
    for (const el of document.querySelectorAll('[data-field="' + field + '"]')) {
      el.textContent = number(value);
    }
  };
  source.addEventListener("count", (event) => {
    const data = JSON.parse(event.data);
    const rec = data.reconciliation;
    for (const key of ["issued", "collected", "scanned", "counted", "duplicates",
      "awaiting_decision", "awaiting_confirmation"]) set(key, rec[key]);
    const verdict = document.querySelector('[data-field="agrees"]');
    if (verdict) {
      const num = (n) => Number(n).toLocaleString(document.documentElement.lang || "vi");
      const name = (code) => verdict.dataset["name" + code[0].toUpperCase() + code.slice(1)];
      const named = (rec.differences || []).map((d) =>
        name(d.first) + " " + num(d.first_value) + " ≠ " + name(d.second) + " " + num(d.second_value));
      verdict.textContent = rec.agrees ? verdict.dataset.yes
        : verdict.dataset.no + (named.length ? ": " + named.join("; ") : "");
    }
    const panel = document.getElementById("reconciliation");
    if (panel) {
      panel.classList.toggle("agrees", rec.agrees);
      panel.classList.toggle("disagrees", !rec.agrees);
    }
    const tally = data.tally;
    set("valid", tally.ballots.valid);
    set("invalid", tally.ballots.invalid);
    for (const c of tally.candidates) {
      const row = document.querySelector('#live-rows tr[data-item="' + c.item + '"]');
      if (!row) continue;
      row.querySelector(".votes").textContent = String(c.votes === null ? c.counts.high : c.votes);
      row.querySelector(".pct").textContent = c.percentage || "—";
    }
    const img = document.getElementById("last-ballot");
    if (img && data.last_ballot && root.dataset.images) {
      const src = root.dataset.images + data.last_ballot.id + "/annotated.jpg";
      if (!img.src.endsWith(src)) img.src = src;
    }
    root.dataset.updated = String(Date.now());
    root.dataset.scanned = String(rec.scanned);
  });
})();
// The review queue: a ballot's box can be ticked only once its image has been shown.
(function () {
  for (const img of document.querySelectorAll("#review-queue img.thumb")) {
    const row = img.closest("tr");
    const box = row && row.querySelector("input.seen");
    if (!box) continue;
    const enable = () => { if (img.naturalWidth > 0) box.disabled = false; };
    if (img.complete) enable(); else img.addEventListener("load", enable);
  }
})();
