// The recording app's service worker: keeps the app's pages and scripts so the app opens and
// records offline. Pages and scripts: the network first (a new release shows at once), the
// kept copy when there is no connection. The API is never cached here: the app keeps what it
// needs of lots in IndexedDB, and records wait in its upload queue.

const CACHE = "agritrace-app-v1";
const SHELL = [
  "/app", "/app/pair", "/app/lot", "/app/queue", "/app/households", "/app/settings", "/app/devices",
  "/app/step/harvest", "/app/step/collection", "/app/step/grading", "/app/step/pre-cooling",
  "/app/step/storage", "/app/step/packing", "/app/step/shipment", "/app/step/receipt",
  "/app/step/certification", "/app/step/correction", "/app/manifest.webmanifest",
  "/static/app/app.css", "/static/app/app.js", "/static/app/db.js", "/static/app/keys.js",
  "/static/app/derive.js", "/static/app/api.js", "/static/app/sync.js", "/static/app/ui.js",
  "/static/app/lotview.js", "/static/app/readings.js", "/static/app/icon.svg",
  "/static/app/page-home.js", "/static/app/page-pair.js", "/static/app/page-devices.js",
  "/static/app/page-lot.js", "/static/app/page-step.js", "/static/app/page-households.js", "/static/app/page-settings.js",
  "/static/app/page-queue.js", "/static/verify-bytes.js", "/static/verify-records.js",
  "/static/verify-errors.js", "/static/verify-json.js",
  "/static/vendor/noble-ed25519/index.js", "/static/vendor/noble-hashes/sha2.js",
  "/static/vendor/noble-hashes/_md.js", "/static/vendor/noble-hashes/_u64.js",
  "/static/vendor/noble-hashes/utils.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function kept(request) {
  return request.method === "GET" && new URL(request.url).origin === self.location.origin &&
    /^\/(app(\/|$)|static\/(app\/|verify-|vendor\/noble))/.test(new URL(request.url).pathname);
}

self.addEventListener("fetch", (event) => {
  if (!kept(event.request)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) cache.put(event.request, response.clone());
      return response;
    } catch (error) {
      const copy = await cache.match(event.request, { ignoreSearch: true });
      if (copy) return copy;
      throw error;
    }
  })());
});
