{% load static %}// The 督学 visit PWA's service worker (scope /supervision/). The visit form is network-first — a fresh page, with a
// fresh CSRF token, whenever there is a network — and falls back to the copy cached at the last visit; its static
// files are cache-first. Nothing else is cached: the ledger and every POST always go to the server.
var CACHE = "dudao-visits-v1";
var FORM = "{{ form_url|escapejs }}";
var ASSETS = [
  "{% static 'dudao.css' %}",
  "{% static 'vendor/htmx.min.js' %}",
  "{% static 'supervision/visit.js' %}",
  "{% static 'supervision/manifest.webmanifest' %}"
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(ASSETS.concat([FORM]));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === FORM) {
    event.respondWith(
      fetch(request).then(function (response) {
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(FORM, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(FORM);
      })
    );
  } else if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(
      caches.match(request).then(function (hit) { return hit || fetch(request); })
    );
  }
});
