/* Crisis Hub: check-ins waiting for a link, kept in IndexedDB (shared by the check-in page and the
 * service worker, so a check-in saved offline is sent once the link returns, also after the page was
 * closed). Each item keeps its Idempotency-Key: whoever sends it (page, timer, Background Sync),
 * however often, the hub stores it once. Without IndexedDB the queue lives in memory while the page
 * stays open. */
'use strict';
const HubQueue = (() => {
  const DB = 'crisis-hub';
  const OUTBOX = 'outbox';
  const RESULTS = 'results';
  /** The hub refuses a madeAt older than 24 h: such items are dropped, and the page says so. */
  const MAX_AGE_MS = 24 * 3600 * 1000;
  const memory = { outbox: new Map(), results: new Map() };
  let persistent = !!self.indexedDB;
  let flushing = null;

  function open() {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open(DB, 1);
      r.onupgradeneeded = () => {
        r.result.createObjectStore(OUTBOX, { keyPath: 'key' });
        r.result.createObjectStore(RESULTS, { keyPath: 'key' });
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }

  /** Runs one request on a store; resolves with its result once the transaction committed. */
  async function run(store, mode, make) {
    if (persistent) {
      try {
        const db = await open();
        return await new Promise((resolve, reject) => {
          const t = db.transaction(store, mode);
          const req = make(t.objectStore(store));
          t.oncomplete = () => { db.close(); resolve(req.result); };
          t.onerror = t.onabort = () => { db.close(); reject(t.error); };
        });
      } catch (e) {
        persistent = false; // private mode or blocked storage: keep going in memory
      }
    }
    const m = memory[store];
    return make({
      put: v => { m.set(v.key, v); return { result: v.key }; },
      delete: k => { m.delete(k); return { result: undefined }; },
      getAll: () => ({ result: [...m.values()] }),
      clear: () => { m.clear(); return { result: undefined }; }
    }).result;
  }

  function announce() {
    if (self.BroadcastChannel) { const c = new BroadcastChannel('crisis-hub'); c.postMessage({ type: 'queue' }); c.close(); }
  }

  const Q = {
    /** True while the queue is written to IndexedDB (survives closing the page). */
    get persistent() { return persistent; },

    /** Keeps a check-in: {key, token, body: {status, note?, location?, incident?, madeAt}}. */
    async add(item) {
      await run(OUTBOX, 'readwrite', s => s.put(Object.assign({ savedAt: Date.now() }, item)));
    },

    /** The check-ins still waiting, oldest first. */
    async pending() {
      const all = await run(OUTBOX, 'readonly', s => s.getAll());
      return all.sort((a, b) => a.savedAt - b.savedAt);
    },

    /** What happened to sent or dropped items since the last call (each told once). */
    async takeResults() {
      const all = await run(RESULTS, 'readonly', s => s.getAll());
      for (const r of all) await run(RESULTS, 'readwrite', s => s.delete(r.key));
      return all.sort((a, b) => a.doneAt - b.doneAt);
    },

    /**
     * Sends what waits, oldest first, each with its key; stops at the first item the link could not
     * carry. Resolves with the number still waiting. Calls made while one runs share it.
     */
    flush() {
      if (flushing) return flushing;
      flushing = (async () => {
        let left = 0;
        const items = await Q.pending();
        for (let i = 0; i < items.length; i++) {
          const it = items[i];
          const result = { key: it.key, status: it.body.status, incident: it.body.incident, madeAt: it.body.madeAt,
            savedAt: it.savedAt, doneAt: Date.now() };
          if (it.body.madeAt && Date.now() - Date.parse(it.body.madeAt) > MAX_AGE_MS) {
            await run(OUTBOX, 'readwrite', s => s.delete(it.key));
            await run(RESULTS, 'readwrite', s => s.put(Object.assign(result, { dropped: true })));
            continue;
          }
          let r;
          const abort = self.AbortController ? new AbortController() : null;
          const timer = abort ? setTimeout(() => abort.abort(), 15000) : null;
          try {
            r = await fetch('/api/v1/checkins', { method: 'POST', cache: 'no-store', signal: abort ? abort.signal : undefined,
              headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + it.token, 'Idempotency-Key': it.key },
              body: JSON.stringify(it.body) });
          } catch (e) {
            left = items.length - i;
            break;
          } finally { if (timer) clearTimeout(timer); }
          if (r.status >= 500 || r.status === 429 || r.status === 408) { left = items.length - i; break; }
          let json = null;
          try { json = await r.json(); } catch (e) { json = null; }
          const msg = json && json.error ? json.error.message || '' : '';
          if (r.status === 400 && it.body.madeAt && msg.startsWith('madeAt')) {
            // The phone's clock is far off the hub's (it already dropped what its own clock says is
            // over 24 h old): the hub's time is the better guess. Same key, sent again without it.
            delete it.body.madeAt;
            await run(OUTBOX, 'readwrite', s => s.put(it));
            i--;
            continue;
          }
          if (r.status === 201) result.ack = json;
          else { result.failed = r.status; result.message = msg; result.code = json && json.error ? json.error.code : ''; }
          await run(OUTBOX, 'readwrite', s => s.delete(it.key));
          await run(RESULTS, 'readwrite', s => s.put(result));
        }
        announce();
        return left;
      })().finally(() => { flushing = null; });
      return flushing;
    }
  };
  return Q;
})();
