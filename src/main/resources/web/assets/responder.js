/* "/responder" — responder console: log in, live help queue (acknowledge / resolve), draft, approve, publish. */
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  Hub.init();
  const $ = id => document.getElementById(id);
  const store = sessionStorage; // a responder token lives for this tab only
  const help = new Map(); // check-in id -> help request
  let conn = null;
  let connState = 'connecting';
  let subscribed = null;
  const token = () => store.getItem('hub.rtoken');
  const fail = e => { $('error').textContent = e.message; };
  const code = () => $('incident').value;

  function show() {
    const on = !!token();
    $('login-box').hidden = on;
    $('console').hidden = !on;
    if (on) { $('me').textContent = store.getItem('hub.ruser'); loadIncidents(); }
  }

  $('login-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      const r = await Hub.api('POST', '/api/v1/responders/sessions', { username: $('username').value.trim(),
        password: $('password').value });
      store.setItem('hub.rtoken', r.token);
      store.setItem('hub.ruser', $('username').value.trim());
      $('password').value = '';
      show();
    } catch (e) { fail(e); }
  });

  $('logout').addEventListener('click', async () => {
    const token = store.getItem('hub.rtoken');
    store.removeItem('hub.rtoken');
    if (conn) { conn.stop(); conn = null; }
    show();
    // Revoke the token on the hub too: a copy of it (another tab, a stolen one) stops working.
    if (token) { try { await Hub.api('DELETE', '/api/v1/sessions', undefined, token); } catch (e) { /* gone already */ } }
  });

  async function loadIncidents() {
    try {
      const list = (await Hub.api('GET', '/api/v1/incidents')).filter(i => i.state === 'open');
      const sel = $('incident');
      const keep = sel.value;
      sel.replaceChildren(...list.map(i => Hub.el('option', { value: i.code }, i.code + ' — ' + i.name)));
      if (!list.length) { $('error').textContent = Hub.t('resp.noIncident'); return; }
      if (keep && list.some(i => i.code === keep)) sel.value = keep;
      await selectIncident();
    } catch (e) { fail(e); }
  }

  async function selectIncident() {
    help.clear();
    try {
      (await Hub.api('GET', '/api/v1/incidents/' + code() + '/help', undefined, token())).forEach(h => help.set(h.id, h));
    } catch (e) { fail(e); }
    renderHelp();
    await loadNotices();
    if (!conn) conn = Hub.live({ onOpen, onFrame, onState });
    else resubscribe(conn.socket);
  }

  function onOpen(ws) {
    conn.socket = ws;
    subscribed = null;
    ws.send(JSON.stringify({ type: 'auth', token: token() }));
  }

  function resubscribe(ws) {
    if (!ws || ws.readyState !== 1) return;
    if (subscribed && subscribed !== code()) ws.send(JSON.stringify({ type: 'unsubscribe', incident: subscribed }));
    subscribed = code();
    ws.send(JSON.stringify({ type: 'subscribe', ref: 'sub', incident: subscribed }));
  }

  function onFrame(f, ws) {
    if (f.type === 'ready') { onState('live'); resubscribe(ws); }
    else if (f.type === 'help' && f.checkin.incident === code()) { help.set(f.checkin.id, f.checkin); renderHelp(); }
    else if (f.type === 'notice') loadNotices();
    else if (f.type === 'error' && f.code === 'unauthorized') { store.removeItem('hub.rtoken'); conn.stop(); conn = null; show(); }
  }

  function onState(s) {
    connState = s;
    $('conn').className = 'badge ' + s;
    $('conn').dataset.state = s;
    $('conn').textContent = Hub.t('conn.' + s);
  }

  function action(key, cls, run) {
    return Hub.el('button', { type: 'button', class: cls, onclick: async ev => {
      ev.target.disabled = true;
      try { await run(); } catch (e) { fail(e); }
      ev.target.disabled = false;
    } }, Hub.t(key));
  }

  function renderHelp() {
    const ul = $('help');
    ul.replaceChildren();
    const open = [...help.values()].filter(h => h.state !== 'resolved').sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    if (!open.length) ul.append(Hub.el('li', { class: 'muted' }, Hub.t('resp.noHelp')));
    for (const h of open) {
      const set = async what => {
        const r = await Hub.api('POST', '/api/v1/help/' + h.id + '/' + what, undefined, token());
        help.set(h.id, Object.assign(h, { state: r.state || (what === 'ack' ? 'acknowledged' : 'resolved') }));
        renderHelp();
      };
      ul.append(Hub.el('li', { 'data-id': h.id, 'data-state': h.state },
        Hub.el('div', { class: 'row' }, Hub.el('b', null, h.phone), Hub.el('span', { class: 'muted' }, h.state + ' · '
          + Hub.timeAgo(h.at))),
        h.note ? Hub.el('p', { class: 'note' }, h.note) : null,
        h.location ? Hub.el('p', { class: 'muted' }, h.location.lat.toFixed(5) + ', ' + h.location.lon.toFixed(5)) : null,
        h.state === 'open' ? action('resp.ack', 'secondary', () => set('ack')) : null,
        action('resp.resolve', 'safe', () => set('resolve'))));
    }
  }

  async function loadNotices() {
    try {
      const list = await Hub.api('GET', '/api/v1/notices?incident=' + code(), undefined, token());
      const ul = $('notices');
      ul.replaceChildren();
      for (const { notice: n, state } of list) {
        const post = what => async () => { await Hub.api('POST', '/api/v1/notices/' + n.id + '/' + what, undefined, token());
          await loadNotices(); };
        ul.append(Hub.el('li', { 'data-id': n.id, 'data-state': state },
          Hub.el('div', { class: 'row' }, Hub.el('b', null, n.headline), Hub.el('span', { class: 'badge' }, state)),
          state === 'draft' ? action('resp.approve', 'secondary', post('approve')) : null,
          state === 'draft' || state === 'approved' ? action('resp.publish', '', post('publish')) : null));
      }
    } catch (e) { fail(e); }
  }

  $('incident').addEventListener('change', selectIncident);

  $('draft-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const body = { incident: code(), headline: $('headline').value.trim(), body: $('body').value.trim(),
      severity: $('severity').value, urgency: $('urgency').value, certainty: $('certainty').value };
    if ($('area').value.trim()) body.area = $('area').value.trim();
    try {
      await Hub.api('POST', '/api/v1/notices', body, token());
      $('draft-form').reset();
      await loadNotices();
    } catch (e) { fail(e); }
  });

  document.addEventListener('hub:lang', () => { renderHelp(); loadNotices(); onState(connState); });
  show();
});
