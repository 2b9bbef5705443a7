// The documents portal offline: pages already opened stay readable without a network.
// Page images are immutable (addressed by version and width): served from the cache first.
// Pages (HTML), styles and scripts come from the network when it answers, else from the cache. A page hands over
// the addresses it loaded ("keep") as soon as this worker is active, so the first visit is kept
// too; a page never saved answers with the congress's offline page, in the reader's language.
"use strict";
var CACHE = "congress-portal-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// A good answer the server allows to keep: never a redirect, an error, or a page marked no-store
// (the sign-in page of a soft-badge link carries the card's code).
function good(response) {
  return response && response.ok && response.type === "basic" && !response.redirected &&
    !/no-store/.test(response.headers.get("cache-control") || "");
}

function keep(request, response) {
  if (good(response)) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

function ours(url) {
  return url.origin === self.location.origin &&
    (url.pathname.startsWith("/p/") || url.pathname.startsWith("/static/")) &&
    url.pathname !== "/p/sw.js" && !url.pathname.endsWith("/document.pdf");
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  var done = caches.open(CACHE).then(function (cache) {
    return Promise.all(data.urls.slice(0, 60).map(function (text) {
      var url = new URL(text, self.location.origin);
      url.hash = "";
      if (!ours(url)) return null;
      return cache.match(url.href).then(function (hit) {
        if (hit && url.pathname.indexOf("/page/") >= 0) return null; // immutable: kept already
        return fetch(url.href, { credentials: "same-origin" }).then(function (response) {
          if (good(response)) return cache.put(url.href, response);
          return null;
        }).catch(function () { return null; });
      });
    }));
  }).then(function () {
    if (event.ports[0]) event.ports[0].postMessage({ kept: true });
  });
  event.waitUntil(done);
});

// No copy of the page asked for: the congress's offline page, else a few words in both languages.
function notSaved(url) {
  var slug = url.pathname.split("/")[2] || "";
  return caches.match(url.origin + "/p/" + slug + "/offline", { ignoreSearch: true }).then(function (page) {
    return page || new Response(
      '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>Không có mạng</title><body style="font:18px/1.5 system-ui,sans-serif;padding:1rem">' +
      "<h1>Không có mạng</h1><p>Trang này chưa được lưu trên điện thoại. Hãy thử lại khi có mạng.</p>" +
      '<p lang="en">No network: this page is not saved on this phone yet.</p></body>',
      { status: 503, headers: { "content-type": "text/html; charset=utf-8" } }
    );
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!ours(url)) return;
  if (url.pathname.indexOf("/page/") >= 0) {
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
        return caches.match(request)
          .then(function (hit) { return hit || caches.match(request, { ignoreSearch: true }); })
          .then(function (hit) {
            if (hit) return hit;
            if (request.mode === "navigate") return notSaved(url);
            return Response.error();
          });
      })
  );
});
