// The documents portal offline: pages already opened stay readable without a network.
// Page images are immutable (addressed by version and width): served from the cache first.
// Pages (HTML) come from the network when it answers, else from the cache.
"use strict";
var CACHE = "congress-portal-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function keep(request, response) {
  if (response && response.ok && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/p/") && !url.pathname.startsWith("/static/")) return;
  if (url.pathname.endsWith("/document.pdf")) return;
  if (url.pathname.indexOf("/page/") >= 0 || url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) { return keep(request, response); });
      })
    );
    return;
  }
  event.respondWith(
    fetch(request)
      .then(function (response) { return keep(request, response); })
      .catch(function () {
        return caches.match(request).then(function (hit) {
          return hit || new Response("offline", { status: 503, headers: { "content-type": "text/plain" } });
        });
      })
  );
});
