// Printing ballots without leaving the election page: the form's POST answers with the PDF, which
// is saved as a download; the page is then read again, so the new print run shows at once.
// Without JavaScript the same form downloads the PDF and the run shows on the next visit.
"use strict";
(function () {
  function swapMain(html) {
    const next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
    const current = document.querySelector("main");
    if (next && current) current.replaceWith(next);
    return next;
  }

  function say(form, text, kind) {
    const line = document.createElement("p");
    line.className = kind;
    line.setAttribute("role", kind === "ok" ? "status" : "alert");
    line.textContent = text;
    form.before(line);
  }

  async function print(form) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
      });
    } catch (error) {
      // Never posted again by itself: the server may have printed (and recorded) the run.
      button.disabled = false;
      say(form, form.dataset.failed, "alert");
      return;
    }
    const type = response.headers.get("content-type") || "";
    if (!response.ok || !type.startsWith("application/pdf")) {
      swapMain(await response.text()); // the page with the refusal, as without JavaScript
      return;
    }
    const blob = await response.blob();
    const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = named ? named[1] : "ballots.pdf";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    const done = form.dataset.done;
    const page = await fetch(window.location.pathname, { credentials: "same-origin" });
    const main = swapMain(await page.text());
    const again = main && main.querySelector("form[data-print-ballots]");
    if (again) say(again, done, "ok");
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-print-ballots]")) return;
    if (!window.fetch || !window.DOMParser) return; // an old browser: the plain form
    event.preventDefault();
    print(form);
  });
})();
