// The soft badge keeps working offline: a service worker (scope /b/) keeps the card. On the very
// first visit the page hands it the addresses it loaded (the card, its photo, style and script),
// so a delegate who opened the link once from a chat message has the card at a door with no signal.
"use strict";
(function () {
  var root = document.documentElement;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/b/sw.js", { scope: "/b/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        var urls = [location.pathname].concat(
          performance.getEntriesByType("resource")
            .map(function (e) { return e.name; })
            .filter(function (u) { return u.indexOf(location.origin + "/") === 0; })
        );
        return new Promise(function (resolve) {
          var channel = new MessageChannel();
          channel.port1.onmessage = resolve;
          registration.active.postMessage({ type: "keep", urls: urls }, [channel.port2]);
          setTimeout(resolve, 15000);
        });
      })
      .then(function () { root.dataset.offlineReady = "1"; })
      .catch(function () {});
  }

  // "Add to the home screen": the browser's own prompt where it has one, else the words.
  var deferred = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    deferred = event;
    var button = document.getElementById("install");
    if (button) button.hidden = false;
  });

  window.addEventListener("DOMContentLoaded", function () {
    var note = document.querySelector(".offline-note");
    if (note && !navigator.onLine) note.hidden = false;
    var standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone;
    var hint = document.querySelector(".install-hint");
    if (hint && !standalone) hint.hidden = false;
    var button = document.getElementById("install");
    if (button) {
      button.addEventListener("click", function () {
        if (!deferred) return;
        deferred.prompt();
        deferred = null;
        button.hidden = true;
      });
    }
  });
})();
