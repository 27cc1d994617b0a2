/* "/" — check in: sign in with an SMS code, then tap I'm safe / I need help. Works offline: a tap is
 * first kept on the phone (HubQueue, with its Idempotency-Key and madeAt), then sent — at once when the
 * hub answers, else when the link returns (Background Sync, the browser going online, the page
 * becoming visible, the live link answering again, or a timer). A running safety check ("are you
 * safe?") shows its question, answered in one tap. */
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  Hub.init();
  const $ = id => document.getElementById(id);
  const signin = $('signin');
  const box = $('checkin');
  const result = $('result');
  let last = null; // re-renders the result line in the current language
  let smsNumber = null;
  let worker = null;
  let conn = null;
  let connState = 'connecting';
  let incidents = [];
  let dropped = 0;
  const ASK = {
    en: { safe: "I'm safe", help: 'I need help', sent: 'Answer sent. Thank you.', failed: 'Not sent: {msg}. Try again.' },
    es: { safe: 'Estoy bien', help: 'Necesito ayuda', sent: 'Respuesta enviada. Gracias.', failed: 'No se envió: {msg}. Intente de nuevo.' }
  };
  const at = (k, msg) => (ASK[Hub.lang] || ASK.en)[k].replace('{msg}', msg || '');
  const asks = new Map(); // check id -> safety_check frame, unanswered

  function showAsk() {
    const a = [...asks.values()][0];
    $('ask').hidden = !a;
    if (!a) return;
    $('ask').dataset.check = a.id;
    $('ask-question').textContent = a.incident + ': ' + a.question;
    $('ask-safe').textContent = at('safe');
    $('ask-help').textContent = at('help');
  }

  async function answer(status) {
    const id = $('ask').dataset.check;
    const res = $('ask-result');
    try {
      await Hub.api('POST', '/api/v1/safety-checks/' + id + '/answers', { status }, Hub.session.token);
      asks.delete(id);
      res.className = '';
      res.textContent = at('sent');
      res.dataset.answered = id;
      showAsk();
    } catch (e) { res.className = 'error'; res.textContent = at('failed', e.message); }
  }
  $('ask-safe').addEventListener('click', () => answer('safe'));
  $('ask-help').addEventListener('click', () => answer('need_help'));

  function show() {
    const signedIn = !!Hub.session.token;
    box.hidden = !signedIn;
    signin.hidden = signedIn;
    renderLast();
    if (signedIn) $('me').textContent = Hub.session.phone;
    else {
      asks.clear();
      showAsk();
      Hub.signIn(signin, () => { show(); if (conn) { conn.stop(); conn = null; } startLive(); });
    }
    renderHelp();
  }

  function position() {
    return new Promise(resolve => {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(
        p => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracyM: Math.round(p.coords.accuracy) }),
        () => resolve(null), { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
    });
  }

  // ---------------------------------------------------------------- incidents (for help requests)

  function inside(area, loc) {
    if (!area || !loc) return false;
    if (area.type === 'circle') {
      const r = 6371000, rad = Math.PI / 180;
      const dLat = (loc.lat - area.lat) * rad, dLon = (loc.lon - area.lon) * rad;
      const a = Math.sin(dLat / 2) ** 2 + Math.cos(area.lat * rad) * Math.cos(loc.lat * rad) * Math.sin(dLon / 2) ** 2;
      return 2 * r * Math.asin(Math.sqrt(a)) <= area.radiusM;
    }
    let hit = false;
    const p = area.points || [];
    for (let i = 0, j = p.length - 1; i < p.length; j = i++) {
      if ((p[i][0] > loc.lat) !== (p[j][0] > loc.lat)
        && loc.lon < (p[j][1] - p[i][1]) * (loc.lat - p[i][0]) / (p[j][0] - p[i][0]) + p[i][1]) hit = !hit;
    }
    return hit;
  }

  /** Open incidents, the ones whose area holds the last known location first; kept for offline use. */
  async function loadIncidents() {
    try {
      const all = await Hub.api('GET', '/api/v1/incidents');
      incidents = all.filter(i => i.state === 'open');
      localStorage.setItem('hub.incidents', JSON.stringify(incidents));
    } catch (e) {
      try { incidents = JSON.parse(localStorage.getItem('hub.incidents')) || []; } catch (x) { incidents = []; }
    }
    renderIncidents();
  }

  function renderIncidents() {
    const sel = $('incident');
    const chosen = sel.value;
    let loc = null;
    try { loc = JSON.parse(localStorage.getItem('hub.lastLocation')); } catch (e) { loc = null; }
    const sorted = incidents.map(i => ({ i, here: inside(i.area, loc) }))
      .sort((a, b) => (b.here - a.here) || (Date.parse(b.i.createdAt) - Date.parse(a.i.createdAt)));
    sel.replaceChildren(Hub.el('option', { value: '' }, Hub.t('checkin.noIncident')),
      ...sorted.map(x => Hub.el('option', { value: x.i.code }, x.i.code + ' — ' + x.i.name)));
    if (chosen && incidents.some(i => i.code === chosen)) sel.value = chosen;
    else if (sorted.length && (sorted[0].here || sorted.length === 1)) sel.value = sorted[0].i.code;
  }

  $('share-location').addEventListener('change', async ev => {
    if (!ev.target.checked) return;
    const loc = await position();
    if (loc) { localStorage.setItem('hub.lastLocation', JSON.stringify(loc)); renderIncidents(); }
  });

  // ---------------------------------------------------------------- the offline queue

  async function renderQueue() {
    const waiting = (await HubQueue.pending()).filter(i => i.phone === Hub.session.phone);
    const q = $('queued');
    q.hidden = waiting.length === 0;
    q.dataset.count = waiting.length;
    q.textContent = waiting.length === 1 ? Hub.t('checkin.saved') : Hub.t('checkin.savedN', { n: waiting.length });
    const a = $('sms-fallback');
    if (waiting.length && smsNumber) {
      const newest = waiting[waiting.length - 1].body;
      const text = (newest.status === 'safe' ? 'SAFE' : 'SOS') + (newest.note ? ' ' + newest.note : '');
      a.href = 'sms:' + smsNumber + '?body=' + encodeURIComponent(text);
      a.textContent = Hub.t('checkin.sms', { number: smsNumber });
      a.hidden = false;
    } else {
      a.hidden = true;
      a.removeAttribute('href');
    }
    const d = $('dropped');
    d.hidden = dropped === 0;
    d.textContent = Hub.t('checkin.dropped', { n: dropped });
    return waiting.length;
  }

  async function renderResults() {
    for (const r of await HubQueue.takeResults()) {
      if (r.dropped) { dropped++; continue; }
      if (r.failed === 401) { Hub.session.clear(); show(); continue; }
      if (r.failed) {
        last = () => Hub.t('checkin.failed', { msg: r.code ? Hub.errorText(r.code) : (r.message || r.failed) });
        result.className = 'error';
        result.textContent = last();
        continue;
      }
      const ack = r.ack;
      // Sent right after the tap (both times by this phone's clock), or later from the queue.
      const later = !(r.doneAt - r.savedAt < 15000);
      if (!later) {
        // How far this phone's clock is off the hub's (to the second): later taps carry the hub's time,
        // so a check-in sent afterwards by SMS (the hub's time) is not taken for an older one.
        const skew = Date.parse(ack.at) + 500 - r.doneAt;
        if (Math.abs(skew) < 30 * 86400000) localStorage.setItem('hub.skewMs', String(Math.round(skew)));
      }
      last = () => {
        let s = later ? Hub.t('checkin.sentLater', { time: Hub.time(ack.at), made: Hub.time(r.madeAt || r.savedAt), n: ack.notified })
          : r.status === 'need_help' && r.incident
            ? Hub.t('checkin.sentHelpTo', { incident: r.incident, time: Hub.time(ack.at), n: ack.notified })
            : Hub.t(r.status === 'safe' ? 'checkin.sent' : 'checkin.sentHelp', { time: Hub.time(ack.at), n: ack.notified });
        s += ' ' + Hub.told(ack, Hub.session.phone);
        if (ack.late) s += ' ' + Hub.t('checkin.late');
        return s;
      };
      // What this person last sent, shown again when they come back.
      if (!ack.late) {
        localStorage.setItem('hub.last', JSON.stringify({ phone: Hub.session.phone, status: r.status, at: ack.at }));
        renderLast();
      }
      result.className = '';
      result.textContent = last();
      result.dataset.notified = ack.notified;
      result.dataset.seq = ack.seq;
      result.dataset.id = ack.id;
      if (r.status === 'need_help' && r.incident) {
        localStorage.setItem('hub.help', JSON.stringify({ id: ack.id, incident: r.incident, state: 'open', at: ack.at }));
        renderHelp();
        refreshHelp();
      }
    }
    return renderQueue();
  }

  /** Sends what waits (never twice: each item keeps its key), then shows what happened. */
  async function flush() {
    const left = await HubQueue.flush();
    await renderResults();
    if (left > 0 && worker && worker.sync) { try { await worker.sync.register('hub-checkins'); } catch (e) { /* no sync */ } }
    return left;
  }

  $('checkin-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const status = ev.submitter ? ev.submitter.value : 'safe';
    const buttons = box.querySelectorAll('button[type=submit]');
    buttons.forEach(b => { b.disabled = true; });
    result.className = '';
    result.textContent = Hub.t('checkin.sending');
    last = null;
    const skew = Number(localStorage.getItem('hub.skewMs')) || 0;
    const body = { status, madeAt: new Date(Date.now() + skew).toISOString() };
    const note = $('note').value.trim();
    if (note) body.note = note;
    const incident = $('incident').value;
    if (incident) body.incident = incident;
    let noLocation = false;
    if ($('share-location').checked) {
      const loc = await position();
      if (loc) { body.location = loc; localStorage.setItem('hub.lastLocation', JSON.stringify(loc)); } else noLocation = true;
    }
    // Kept on the phone first, with one key per tap: whatever happens to the link, it is sent once.
    await HubQueue.add({ key: Hub.newKey(), token: Hub.session.token, phone: Hub.session.phone, body });
    const left = await flush();
    if (left > 0) {
      // The line under the buttons says it is saved (and offers SMS): no second message here.
      last = null;
      result.className = '';
      result.textContent = '';
    } else if (noLocation && last) {
      const sent = last;
      last = () => sent() + ' ' + Hub.t('checkin.noLocation');
      result.textContent = last();
    }
    buttons.forEach(b => { b.disabled = false; });
  });

  /** "Last sent: Safe at 14:05 (12 min ago)", kept on the phone for the signed-in number. */
  function renderLast() {
    const p = $('last');
    let l = null;
    try { l = JSON.parse(localStorage.getItem('hub.last')); } catch (e) { l = null; }
    p.hidden = !(l && Hub.session.token && l.phone === Hub.session.phone);
    if (p.hidden) return;
    p.dataset.at = l.at;
    p.dataset.status = l.status;
    p.textContent = Hub.t('checkin.last', { status: Hub.t('status.' + l.status), time: Hub.time(l.at), ago: Hub.timeAgo(l.at) });
  }
  setInterval(renderLast, 30000);

  // ---------------------------------------------------------------- my help request, live

  function renderHelp() {
    let h = null;
    try { h = JSON.parse(localStorage.getItem('hub.help')); } catch (e) { h = null; }
    const mine = h && Hub.session.token;
    $('help-box').hidden = !mine;
    if (!mine) return;
    const p = $('help-state');
    p.dataset.state = h.state;
    p.dataset.id = h.id;
    p.className = h.state === 'open' ? 'warn' : 'status safe';
    p.textContent = h.state === 'open' ? Hub.t('help.open', { incident: h.incident })
      : Hub.t('help.' + h.state, { by: h.by || Hub.t('help.someone'), time: Hub.time(h.at) });
    renderThread();
  }

  // The reply thread of my help request: what responders wrote, and my answers (docs/triage.md).
  let thread = [];
  function renderThread() {
    $('help-thread').replaceChildren(...thread.map(m => Hub.el('li', { 'data-from': m.from },
      Hub.el('span', { class: 'muted' }, (m.from === 'person' ? Hub.t('help.you') : (m.by || Hub.t('help.someone')))
        + ' · ' + Hub.time(m.at) + ' '), Hub.el('span', { class: 'note' }, m.text))));
  }

  function addMessage(m) {
    if (!thread.some(x => x.id === m.id)) thread.push(m);
    renderThread();
  }

  async function refreshThread(id) {
    try { thread = await Hub.api('GET', '/api/v1/help/' + encodeURIComponent(id) + '/messages', undefined, Hub.session.token); }
    catch (e) { thread = []; }
    renderThread();
  }

  $('help-reply').addEventListener('submit', async ev => {
    ev.preventDefault();
    let h = null;
    try { h = JSON.parse(localStorage.getItem('hub.help')); } catch (e) { h = null; }
    const text = $('help-text').value.trim();
    if (!h || !text || !Hub.session.token) return;
    try {
      addMessage(await Hub.api('POST', '/api/v1/help/' + encodeURIComponent(h.id) + '/messages', { text }, Hub.session.token));
      $('help-text').value = '';
    } catch (e) { $('help-state').textContent = e.message; }
  });

  function updateHelp(u) {
    let h = null;
    try { h = JSON.parse(localStorage.getItem('hub.help')); } catch (e) { h = null; }
    if (!h || h.id !== u.id) return;
    Object.assign(h, { state: u.state, by: u.by, at: u.at, incident: u.incident || h.incident });
    localStorage.setItem('hub.help', JSON.stringify(h));
    renderHelp();
  }

  async function refreshHelp() {
    let h = null;
    try { h = JSON.parse(localStorage.getItem('hub.help')); } catch (e) { h = null; }
    if (!h || !Hub.session.token) return;
    try {
      updateHelp(await Hub.api('GET', '/api/v1/help/' + encodeURIComponent(h.id), undefined, Hub.session.token));
      await refreshThread(h.id);
    }
    catch (e) { if (e.status === 404 || e.status === 403) { localStorage.removeItem('hub.help'); renderHelp(); } }
  }

  // ---------------------------------------------------------------- the live link

  function onState(s) {
    connState = s;
    const b = $('conn');
    b.className = 'badge ' + s;
    b.dataset.state = s;
    b.textContent = Hub.t('conn.' + s);
    if (s === 'live') { flush(); refreshHelp(); }
  }

  function startLive() {
    conn = Hub.live({
      onState: s => onState(s === 'live' ? 'connecting' : s),
      onOpen: ws => ws.send(JSON.stringify(Hub.session.token ? { type: 'auth', token: Hub.session.token } : { type: 'ping' })),
      onFrame: f => {
        if (f.type === 'ready' || (f.type === 'pong' && !Hub.session.token)) { if (connState !== 'live') onState('live'); }
        // The hub names the signed-in number in E.164 form (a session from before it was kept so).
        if (f.type === 'ready' && f.phone) $('me').textContent = f.phone;
        else if (f.type === 'help_update') updateHelp(f);
        else if (f.type === 'help_message') {
          let h = null;
          try { h = JSON.parse(localStorage.getItem('hub.help')); } catch (e) { h = null; }
          if (h && h.id === f.checkin) addMessage(f.message);
        }
        else if (f.type === 'safety_check') { asks.set(f.id, f); showAsk(); }
        else if (f.type === 'error' && f.code === 'unauthorized' && Hub.session.token) { Hub.session.clear(); show(); }
      }
    });
  }

  $('signout').addEventListener('click', async () => {
    await Hub.signOut();
    localStorage.removeItem('hub.help');
    if (conn) { conn.stop(); conn = null; }
    show();
    startLive();
  });
  document.addEventListener('hub:lang', () => {
    if (last) result.textContent = last();
    onState(connState);
    renderIncidents();
    renderQueue();
    renderHelp();
    renderLast();
    showAsk();
  });
  window.addEventListener('online', () => { if (conn) conn.now(); flush(); });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') flush(); });
  if (self.BroadcastChannel) new BroadcastChannel('crisis-hub').onmessage = () => renderResults();
  setInterval(async () => { if ((await HubQueue.pending()).length) flush(); }, 10000);

  $('insecure').hidden = !!(window.isSecureContext && 'serviceWorker' in navigator && HubQueue.persistent);
  show();
  startLive();
  Hub.worker().then(w => { worker = w; });
  Hub.config().then(c => { smsNumber = c.smsNumber || null; renderQueue(); });
  loadIncidents();
  renderResults();
  refreshHelp();
});
