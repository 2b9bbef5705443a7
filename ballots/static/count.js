// Live count: reconciliation, running totals and the last ballot, from server-sent events.
"use strict";
(function () {
  const root = document.getElementById("projector") || document.getElementById("reconciliation");
  if (!root || !window.EventSource) return;
  const source = new EventSource(root.dataset.events);
  // The server ended this session (signed out elsewhere, idle too long): show the sign-in.
  source.addEventListener("signed-out", () => {
    source.close();
    window.location.reload();
  });
  const set = (field, value) => {
    for (const el of document.querySelectorAll('[data-field="' + field + '"]')) {
      el.textContent = String(value);
    }
  };
  source.addEventListener("count", (event) => {
    const data = JSON.parse(event.data);
    const rec = data.reconciliation;
    for (const key of ["issued", "collected", "scanned", "counted", "duplicates",
      "awaiting_decision", "awaiting_confirmation"]) set(key, rec[key]);
    const verdict = document.querySelector('[data-field="agrees"]');
    if (verdict) verdict.textContent = rec.agrees ? verdict.dataset.yes : verdict.dataset.no;
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
