// The gate page's service worker (scope /c/<slug>/gate): the page, its scripts and styles and the
// delegates' photos come from the network when it answers, else from the copy kept here, so a
// refresh during an outage still gives a working gate. The page posts the URLs it loaded on its
// first visit ("keep"), so one online visit is enough. The check-in API is never answered from
// here: the page queues scans itself while offline.
"use strict";
const CACHE = "congress-gate-v1";
const WAIT_MS = 4000; // a network that hangs is treated as gone after this long

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function keepable(url) {
  return url.origin === self.location.origin && !url.pathname.startsWith("/api/") && !url.pathname.endsWith("/sw.js");
}

// A good answer only: never a redirect to the sign-in page or an error in place of the gate.
function good(response) {
  return response && response.ok && response.type === "basic" && !response.redirected &&
    !/no-store/.test(response.headers.get("cache-control") || "");
}

async function keep(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all(urls.map(async (text) => {
    const url = new URL(text, self.location.origin);
    if (!keepable(url)) return;
    url.hash = "";
    try {
      const response = await fetch(url.href, { credentials: "same-origin" });
      if (good(response)) await cache.put(url.href, response);
    } catch (e) { /* offline already: keep what was kept before */ }
  }));
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  const done = keep(data.urls.slice(0, 50)).then(() => {
    if (event.ports[0]) event.ports[0].postMessage({ kept: true });
  });
  event.waitUntil(done);
});

function withTimeout(promise) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), WAIT_MS);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!keepable(url)) return;
  // The gate page is kept under its address without the query (?lang=...).
  const key = request.mode === "navigate" ? url.origin + url.pathname : request.url;
  event.respondWith((async () => {
    try {
      const response = await withTimeout(fetch(request));
      if (good(response)) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(key, copy));
      }
      return response;
    } catch (e) {
      const hit = await caches.match(key);
      if (hit) return hit;
      throw e;
    }
  })());
});
