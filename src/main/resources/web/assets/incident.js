/*
 * "/incidents/{code}" — an incident's official notices, live. A notice is marked verified only after
 * this browser itself checked its Ed25519 signature (WebCrypto) over the RFC 8785 canonical form of
 * the notice without "signature", with the agency key named by keyId from /api/v1/keys.
 */
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  Hub.init();
  const code = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '').toUpperCase();
  const box = document.getElementById('notices');
  const notices = new Map(); // id -> {notice, verified: true|false|null}
  let keys = null;
  let connState = 'connecting';

  /** RFC 8785 (JCS): keys sorted by UTF-16 code units, ECMAScript number and string forms. */
  function canonical(v) {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
    return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }

  function b64url(s) {
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    return Uint8Array.from(b, c => c.charCodeAt(0));
  }

  async function loadKeys() {
    const jwks = await Hub.api('GET', '/api/v1/keys');
    keys = new Map(jwks.keys.map(k => [k.kid, k]));
  }

  // ?verifier=js uses the bundled verifier even where WebCrypto has Ed25519 (tests, or to compare).
  const forceJs = new URLSearchParams(location.search).get('verifier') === 'js';

  /**
   * true: the signature checks out; false: it does not (or no such key); null: this browser cannot
   * tell. WebCrypto Ed25519 where the browser has it, else the bundled verifier (ed25519.js).
   */
  async function verify(n, entry) {
    let jwk = keys && keys.get(n.keyId);
    if (!jwk) { await loadKeys(); jwk = keys.get(n.keyId); }
    if (!jwk || typeof n.signature !== 'string') return false;
    const unsigned = Object.assign({}, n);
    delete unsigned.signature;
    const msg = new TextEncoder().encode(canonical(unsigned));
    const sig = b64url(n.signature);
    if (!forceJs && window.crypto && crypto.subtle) {
      try {
        const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' },
          false, ['verify']);
        entry.verifier = 'webcrypto';
        return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
      } catch (e) { /* no Ed25519 in this WebCrypto: the bundled verifier below */ }
    }
    if (typeof Ed25519Fallback === 'undefined') return null;
    entry.verifier = 'js';
    try { return Ed25519Fallback.verify(b64url(jwk.x), sig, msg); } catch (e) { return false; }
  }

  async function add(n) {
    if (!n || !n.id) return;
    const entry = { notice: n, verified: undefined };
    notices.set(n.id, entry);
    entry.verified = await verify(n, entry);
    render();
  }

  // A notice may carry its texts in several languages (language + variants, all signed): the reader's
  // language is shown — the one chosen on this page or with its switch, else the browser's preferences,
  // exact tag first, then the same primary language — and the others are one click away.
  let chosenLang = null;
  function texts(n) {
    const all = [{ language: n.language, headline: n.headline, body: n.body }].concat(n.variants || []);
    return all.filter(t => t.language || all.length === 1);
  }
  function pick(n) {
    const all = texts(n);
    if (all.length < 2) return all[0] || { headline: n.headline, body: n.body };
    const prefs = [chosenLang, localStorage.getItem('hub.lang')].concat(navigator.languages || [navigator.language])
      .filter(Boolean).map(l => l.toLowerCase());
    for (const p of prefs) {
      const exact = all.find(t => t.language.toLowerCase() === p);
      if (exact) return exact;
      const primary = all.find(t => t.language.toLowerCase().split('-')[0] === p.split('-')[0]);
      if (primary) return primary;
    }
    return all[0];
  }

  function render() {
    const all = [...notices.values()].map(e => e.notice);
    const replacedBy = new Map();
    for (const n of all) if (n.references) replacedBy.set(n.references, n.msgType);
    box.replaceChildren();
    if (unknown) {
      // No such incident: say so (no endless "Connecting…").
      box.append(Hub.el('p', { class: 'error', id: 'unknown', role: 'alert' }, Hub.t('inc.unknown', { code })));
      return;
    }
    if (!all.length) box.append(Hub.el('p', { class: 'muted' }, Hub.t('inc.none')));
    all.sort((a, b) => Date.parse(b.sent) - Date.parse(a.sent));
    for (const n of all) {
      const e = notices.get(n.id);
      const cancelled = replacedBy.get(n.id) === 'Cancel';
      const superseded = replacedBy.get(n.id) === 'Update';
      const expired = n.expires && Date.parse(n.expires) < Date.now();
      const state = cancelled ? 'cancelled' : superseded ? 'superseded' : expired ? 'expired' : 'current';
      const card = Hub.el('article', { class: 'card' + (state === 'current' ? '' : ' faded'), 'data-id': n.id,
        'data-state': state, 'data-verified': String(e.verified), 'data-verifier': e.verifier || '' });
      const mark = e.verified === true ? Hub.el('p', { class: 'verified' }, Hub.t('inc.verified', { agency: n.agency }))
        : e.verified === false ? Hub.el('p', { class: 'unverified' }, Hub.t('inc.unverified'))
          : e.verified === null ? Hub.el('p', { class: 'unverified' }, Hub.t('inc.noCrypto')) : null;
      const text = pick(n);
      if (text.language) card.dataset.lang = text.language;
      card.append(Hub.el('h3', { lang: text.language }, (n.msgType === 'Cancel' ? '✗ ' : '') + text.headline));
      if (state !== 'current') card.append(Hub.el('p', { class: 'status need_help' }, Hub.t('inc.' + state)));
      if (mark) card.append(mark);
      card.append(Hub.el('p', { class: 'note', lang: text.language }, text.body));
      const others = texts(n).filter(t => t.language && t.language !== text.language);
      if (others.length) {
        card.append(Hub.el('p', { class: 'langs' }, ...others.map(t => Hub.el('button', { type: 'button', class: 'link',
          'data-lang': t.language, lang: t.language, onclick: () => { chosenLang = t.language; render(); } }, t.language))));
      }
      const cap = w => (w && HUB_TEXT.en['cap.' + w] ? Hub.t('cap.' + w) : w);
      const meta = [cap(n.severity), cap(n.urgency), cap(n.certainty), n.area, Hub.t('inc.sent', { time: Hub.time(n.sent) })];
      if (n.expires) meta.push(Hub.t('inc.expires', { time: Hub.time(n.expires) }));
      card.append(Hub.el('p', { class: 'muted' }, meta.filter(Boolean).join(' · ')));
      box.append(card);
    }
  }

  function onState(s) {
    connState = s;
    const c = document.getElementById('conn');
    c.hidden = unknown;
    c.className = 'badge ' + s;
    c.dataset.state = s;
    c.textContent = Hub.t('conn.' + s);
  }

  function title() { document.getElementById('title').textContent = Hub.t('inc.title', { code }); }

  let unknown = false;
  let live = null;

  function markUnknown() {
    unknown = true;
    if (live) live.stop();
    onState('offline');
    render();
  }

  async function start() {
    title();
    try {
      const incidents = await Hub.api('GET', '/api/v1/incidents');
      if (!incidents.some(i => String(i.code).toUpperCase() === code.toUpperCase())) { markUnknown(); return; }
    } catch (e) { /* offline: the live link tells */ }
    try {
      await loadKeys();
      const list = await Hub.api('GET', '/api/v1/incidents/' + encodeURIComponent(code) + '/notices');
      await Promise.all(list.map(add));
      render();
    } catch (e) {
      if (e.code === 'not_found') { markUnknown(); return; }
      document.getElementById('error').textContent = e.message;
    }
    live = Hub.live({
      onState,
      onOpen: ws => ws.send(JSON.stringify({ type: 'subscribe', ref: 's', incident: code })),
      onFrame: f => {
        if (f.type === 'ack') onState('live');
        else if (f.type === 'notice') add(f.notice);
        else if (f.type === 'error' && f.code === 'not_found') markUnknown();
        else if (f.type === 'error') document.getElementById('error').textContent = Hub.errorText(f.code);
      }
    });
  }

  document.addEventListener('hub:lang', () => { title(); render(); onState(connState); });
  start();
});
