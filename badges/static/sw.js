// Soft badge service worker: network first, so a replaced or revoked badge shows at once;
// the last good copy of each card (page, photo, style, script) answers when offline. The page
// posts the addresses it loaded ("keep") as soon as this worker is active, so the card is kept
// from the first visit, not only from the second.
"use strict";
const CACHE = "congress-soft-badge-v2";
const SHARED = [
  "/static/badges/soft.css",
  "/static/badges/soft.js",
  "/static/badges/icon.svg",
  "/static/badges/apple-touch-icon.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHARED)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("congress-soft-badge") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function ours(url) {
  return url.origin === self.location.origin && (url.pathname.startsWith("/b/") || SHARED.includes(url.pathname)) && url.pathname !== "/b/sw.js";
}

// Keep only good answers: a refused card must never replace the saved one.
function good(response) {
  return response && response.ok && response.type === "basic" && !response.redirected &&
    !/no-store/.test(response.headers.get("cache-control") || "");
}

async function keep(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all(urls.map(async (text) => {
    const url = new URL(text, self.location.origin);
    url.hash = "";
    if (!ours(url)) return;
    try {
      const response = await fetch(url.href);
      if (good(response)) await cache.put(url.href, response);
    } catch (e) { /* offline already */ }
  }));
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  event.waitUntil(keep(data.urls.slice(0, 20)).then(() => {
    if (event.ports[0]) event.ports[0].postMessage({ kept: true });
  }));
});

// A card never opened on this phone, asked for with no network: words, not a browser error.
function notSaved(request) {
  if (request.mode !== "navigate") return Response.error();
  return new Response(
    '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Không có mạng</title><body style="font:18px/1.5 system-ui,sans-serif;padding:1rem">' +
    "<h1>Không có mạng</h1><p>Thẻ này chưa được lưu trên điện thoại. Hãy mở lại khi có mạng.</p>" +
    '<p lang="en">No network: this card is not saved on this phone yet.</p></body>',
    { status: 503, headers: { "content-type": "text/html; charset=utf-8" } }
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!ours(url)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (good(response)) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: request.mode === "navigate" }).then((hit) => hit || notSaved(request)))
  );
});
