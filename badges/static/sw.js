// Soft badge service worker: network first, so a replaced or revoked badge shows at once;
// the last good copy of each card (page, photo, style, script) answers when offline.
"use strict";
const CACHE = "congress-soft-badge-v1";
const SHARED = ["/static/badges/soft.css", "/static/badges/soft.js", "/static/badges/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHARED)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/b/") && !SHARED.includes(url.pathname)) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        // Keep only good answers: a refused card must never replace the saved one.
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || Response.error()))
  );
});
