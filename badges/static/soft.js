// The soft badge keeps working offline: a service worker (scope /b/) keeps the last copy.
"use strict";
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/b/sw.js", { scope: "/b/" }).catch(function () {});
}
window.addEventListener("DOMContentLoaded", function () {
  var note = document.querySelector(".offline-note");
  if (note && !navigator.onLine) note.hidden = false;
});
