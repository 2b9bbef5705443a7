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
  const lang = document.documentElement.lang || "vi";
  // Numbers as the page's language writes them (Vietnamese: 1.234; 96,23).
  const number = (value) => typeof value === "number" ? value.toLocaleString(lang) : String(value);
  // A recorded percentage ("96.23") as the page's language writes it ("96,23 %").
  const percent = (text) => Number(text).toLocaleString(lang,
    { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " %";
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
    set("awaiting", rec.awaiting_decision + rec.awaiting_confirmation);
    const closed = data.count.state === "closed";
    for (const c of tally.candidates) {
      const row = document.querySelector('#live-rows [data-item="' + c.item + '"]');
      if (!row) continue;
      row.querySelector(".votes").textContent = number(c.votes === null ? c.counts.high : c.votes);
      row.querySelector(".pct").textContent = c.percentage ? percent(c.percentage) : "—";
      const elected = closed && c.elected;
      const passed = !closed && c.passed;
      row.classList.toggle("elected", elected);
      row.classList.toggle("passed", passed);
      const mark = row.querySelector(".mark");
      if (mark) {
        mark.textContent = elected ? "✓ " + root.dataset.electedWord
          : passed ? root.dataset.passedWord : "";
      }
    }
    const progress = document.querySelector(".progress");
    if (progress) {
      const share = rec.collected ? Math.min(100, rec.counted / rec.collected * 100) : 0;
      progress.querySelector(".bar").style.width = share + "%";
      progress.setAttribute("aria-valuenow", String(rec.counted));
      progress.setAttribute("aria-valuemax", String(rec.collected));
      progress.querySelector(".progress-text").textContent = progress.dataset.text
        .replace("{counted}", number(rec.counted)).replace("{collected}", number(rec.collected));
    }
    const img = document.getElementById("last-ballot");
    if (img && data.last_ballot && root.dataset.images) {
      const src = root.dataset.images + data.last_ballot.id + "/annotated.jpg?view=hall";
      if (!img.src.endsWith(src)) img.src = src;
    }
    if (root.dataset.state !== data.count.state) {
      root.dataset.state = data.count.state;
      if (window.hallLayout) window.hallLayout();
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
// The projector's list: as many columns and rows as the screen holds at the hall's type size;
// a longer list is shown a page at a time, turning every 10 seconds.
(function () {
  const root = document.getElementById("projector");
  const list = document.getElementById("live-rows");
  if (!root || !list) return;
  const body = list.closest(".hall-body");
  const label = document.getElementById("hall-page");
  let page = 0;
  let pages = 1;
  let perPage = 1;
  const items = () => Array.from(list.children);
  const show = () => {
    items().forEach((li, i) => { li.hidden = Math.floor(i / perPage) !== page; });
    if (label) label.textContent = pages > 1 ? root.dataset.pageWord + " " + (page + 1) + "/" + pages : "";
  };
  const fit = (wide) => {
    body.classList.toggle("wide", wide);
    items().forEach((li) => { li.hidden = false; });
    list.style.setProperty("--rows", "1000");
    list.style.setProperty("--cols", "1");
    // As many columns as the longest name allows whole, at most four: measured in one
    // column, a row needs its width less the room its name leaves unused.
    const widest = Math.max(...items().map((li) => {
      const name = li.querySelector(".name");
      let used = 0;
      for (const part of name ? name.children : []) {
        if (part.textContent) used += part.scrollWidth + 10;
      }
      const spare = name ? name.clientWidth - used : 0;
      return li.getBoundingClientRect().width - spare;
    }));
    const cols = Math.max(1, Math.min(4, Math.floor((list.clientWidth + 28) / (widest + 28))));
    list.style.setProperty("--cols", String(cols));
    const heights = items().map((li) => li.getBoundingClientRect().height);
    const row = Math.max(40, ...heights) + 6;
    const foot = root.querySelector(".hall-foot");
    const bottom = foot ? foot.getBoundingClientRect().top : window.innerHeight;
    const room = bottom - list.getBoundingClientRect().top;
    const rows = Math.max(1, Math.floor(room / row));
    list.style.setProperty("--rows", String(rows));
    perPage = rows * cols;
    pages = Math.max(1, Math.ceil(items().length / perPage));
  };
  const layout = () => {
    if (window.innerWidth < 900) {  // a phone or a small window: one column, scrolled
      body.classList.remove("wide");
      list.style.setProperty("--cols", "1");
      list.style.setProperty("--rows", String(items().length));
      perPage = Math.max(1, items().length);
      pages = 1;
      page = 0;
      show();
      return;
    }
    fit(false);
    // A list longer than one page gives the ballot's picture's room to more names.
    if (pages > 1 && window.innerWidth >= 900) fit(true);
    page = Math.min(page, pages - 1);
    show();
  };
  window.hallLayout = layout;
  window.addEventListener("resize", layout);
  layout();
  setInterval(() => { if (pages > 1) { page = (page + 1) % pages; show(); } }, 10000);
})();
// The presidium chooses which round's count the hall sees.
(function () {
  const chooser = document.getElementById("hall-rounds");
  if (!chooser) return;
  chooser.addEventListener("change", () => {
    window.location.href = chooser.dataset.prefix + chooser.value + "/projector";
  });
})();
