// Live attendance: the server sends the sitting's numbers each time they change (SSE).
"use strict";
(function () {
  const root = document.getElementById("attendance");
  if (!root || !window.EventSource) return;
  const source = new EventSource(root.dataset.events);
  // The server ended this session (signed out elsewhere, idle too long): show the sign-in.
  source.addEventListener("signed-out", () => {
    source.close();
    window.location.reload();
  });
  source.addEventListener("attendance", (event) => {
    const data = JSON.parse(event.data);
    for (const field of ["present", "summoned", "absent", "alternates_present"]) {
      const el = root.querySelector('[data-field="' + field + '"]');
      if (el) el.textContent = String(data[field]);
    }
    const needed = root.querySelector('[data-field="needed"]');
    if (needed) needed.textContent = String(data.quorum.needed);
    const quorum = root.querySelector('[data-field="quorum"]');
    if (quorum) {
      quorum.textContent = data.quorum.reached ? quorum.dataset.yes : quorum.dataset.no;
      quorum.classList.toggle("ok", data.quorum.reached);
      quorum.classList.toggle("warn", !data.quorum.reached);
    }
    const rows = document.getElementById("delegation-rows");
    if (rows) {
      rows.textContent = "";
      for (const r of data.delegations) {
        const tr = document.createElement("tr");
        for (const value of [r.name, r.summoned, r.present, r.absent, r.alternates_present]) {
          const td = document.createElement("td");
          td.textContent = String(value);
          tr.appendChild(td);
        }
        rows.appendChild(tr);
      }
    }
    root.dataset.updated = String(Date.now());
  });
})();
