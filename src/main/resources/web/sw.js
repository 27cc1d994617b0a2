/* Crisis Hub service worker: keeps the check-in and family pages and their assets for offline use,
 * and sends check-ins saved offline when the browser says the link is back (Background Sync).
 * The hub writes VERSION and PRECACHE (versioned asset URLs) into this file when it serves it. */
'use strict';
const VERSION = '__VERSION__';
const CACHE = 'crisis-hub-' + VERSION;
const PRECACHE = ['__PRECACHE__'];
importScripts('__QUEUE_JS__');

self.addEventListener('install', ev => {
  ev.waitUntil(caches.open(CACHE).then(c => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', ev => {
  ev.waitUntil(caches.keys()
    .then(keys => Promise.all(keys.filter(k => k.startsWith('crisis-hub-') && k !== CACHE).map(k => caches.delete(k))))
    .then(() => self.clients.claim()));
});

/** Network first, within a few seconds (a dead link can hang), else the copy kept from the last visit. */
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 4000);
    const r = await fetch(request, { signal: abort.signal });
    clearTimeout(timer);
    if (r.ok) await cache.put(request, r.clone());
    return r;
  } catch (e) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    return new Response('<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
      + '<title>Crisis Hub</title><p>Offline. <a href="/">Check in</a> works offline once visited.'
      + ' / Sin conexión. <a href="/">Reportarse</a> funciona sin conexión tras una visita.',
      { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  }
}

/** Versioned assets never change: the cache first. */
async function asset(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const r = await fetch(request);
  if (r.ok && new URL(request.url).searchParams.has('v')) await cache.put(request, r.clone());
  return r;
}

self.addEventListener('fetch', ev => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== 'GET' || url.origin !== self.location.origin) return;
  // The API, health, metrics and dev pages always go to the network (no-store, never from a cache).
  if (/^\/(api|health|metrics|dev)\//.test(url.pathname) || url.pathname === '/metrics') return;
  if (url.pathname.startsWith('/assets/')) ev.respondWith(asset(ev.request));
  else if (ev.request.mode === 'navigate' || url.pathname === '/manifest.webmanifest') ev.respondWith(page(ev.request));
});

self.addEventListener('sync', ev => {
  if (ev.tag === 'hub-checkins') {
    // Rejecting asks the browser to try again later, while items still wait.
    ev.waitUntil(HubQueue.flush().then(left => { if (left > 0) throw new Error(left + ' check-in(s) still waiting'); }));
  }
});

self.addEventListener('message', ev => {
  if (ev.data && ev.data.type === 'flush') ev.waitUntil(HubQueue.flush());
});
