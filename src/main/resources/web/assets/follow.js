/* "/follow" — family board: live status cards, follow requests both ways, trusted contacts. */
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  Hub.init();
  const $ = id => document.getElementById(id);
  const people = new Map(); // phone -> {state, status: latest check-in or null, maxSeq, lateSeen}
  let conn = null;
  let connState = 'connecting';
  const enc = p => encodeURIComponent(p);
  const fail = e => { $('board-error').textContent = e.message; };

  function show() {
    const signedIn = !!Hub.session.token;
    $('board').hidden = !signedIn;
    $('signin').hidden = signedIn;
    if (!signedIn) { if (conn) conn.stop(); Hub.signIn($('signin'), show); return; }
    $('me').textContent = Hub.session.phone;
    refresh();
    if (!conn) conn = Hub.live({ onOpen, onFrame, onState });
  }

  function onState(s) {
    connState = s;
    $('conn').className = 'badge ' + s;
    $('conn').dataset.state = s;
    $('conn').textContent = Hub.t('conn.' + s);
  }

  function onOpen(ws) { ws.send(JSON.stringify({ type: 'auth', token: Hub.session.token })); }

  function onFrame(f) {
    // The hub names the signed-in number in E.164 form (a session from before it was kept so).
    if (f.type === 'ready') { onState('live'); if (f.phone) $('me').textContent = f.phone; }
    else if (f.type === 'snapshot') { f.people.forEach(apply); render(); refresh(); }
    else if (f.type === 'status') { apply(f); render(); }
    else if (f.type === 'follow_request') refresh();
    else if (f.type === 'follow_update') {
      // The person answered my request (or stopped sharing): the board changes now, not on reload.
      const p = people.get(f.phone) || { status: null };
      p.state = f.state;
      if (f.state !== 'active') { p.status = null; p.maxSeq = 0; }
      people.set(f.phone, p);
      $('follow-result').textContent = Hub.t(f.state === 'active' ? 'follow.approved' : 'follow.revoked', { phone: f.phone });
      render();
      refresh();
    }
    else if (f.type === 'error' && f.code === 'unauthorized') { Hub.session.clear(); conn.stop(); conn = null; show(); }
  }

  /**
   * A newer status replaces the card's, unless it arrived late (made before the status shown: it
   * stays in the history only); a jump in seq means updates were missed: fetch them.
   */
  function apply(c) {
    const p = people.get(c.phone) || { status: null };
    p.state = 'active'; // statuses come only through an active follow
    const prevSeq = p.maxSeq || (p.status ? p.status.seq : 0);
    if (!c.late && (!p.status || c.seq > p.status.seq)) p.status = c;
    if (c.late && (!p.lateSeen || c.seq > p.lateSeen.seq)) p.lateSeen = c;
    p.maxSeq = Math.max(prevSeq, c.seq);
    people.set(c.phone, p);
    if (prevSeq && c.seq > prevSeq + 1) catchUp(c.phone, prevSeq);
  }

  async function catchUp(phone, afterSeq) {
    try {
      const missed = await Hub.api('GET', '/api/v1/people/' + enc(phone) + '/checkins?afterSeq=' + afterSeq, undefined,
        Hub.session.token);
      missed.forEach(c => apply(Object.assign({ phone }, c)));
      render();
    } catch (e) { /* the next status or reconnect catches up */ }
  }

  async function refresh() {
    const token = Hub.session.token;
    try {
      const [follows, followers, contacts] = await Promise.all([Hub.api('GET', '/api/v1/follows', undefined, token),
        Hub.api('GET', '/api/v1/followers', undefined, token), Hub.api('GET', '/api/v1/contacts', undefined, token)]);
      const seen = new Set();
      for (const f of follows) {
        seen.add(f.phone);
        const p = people.get(f.phone) || { status: null };
        p.state = f.state;
        p.label = f.label || '';
        people.set(f.phone, p);
      }
      for (const k of [...people.keys()]) if (!seen.has(k)) people.delete(k);
      render();
      renderFollowers(followers);
      renderContacts(contacts);
    } catch (e) {
      if (e.status === 401) { Hub.session.clear(); show(); } else fail(e);
    }
  }

  /** Registers the service worker, so the board opens offline too (showing it is not Live). */
  Hub.worker();

  function render() {
    const cards = $('cards');
    // A live update must not wipe a name being typed.
    const typing = document.activeElement && document.activeElement.closest && document.activeElement.closest('.label-form')
      ? { id: document.activeElement.id, value: document.activeElement.value } : null;
    cards.replaceChildren();
    if (people.size === 0) cards.append(Hub.el('p', { class: 'muted' }, Hub.t('follow.none')));
    for (const [phone, p] of [...people.entries()].sort()) {
      const c = p.status;
      const card = Hub.el('article', { class: 'card' + (p.state === 'active' ? '' : ' faded'), 'data-phone': phone, 'data-follow': p.state,
        'data-status': c ? c.status : '', 'data-seq': c ? c.seq : '' });
      // The name this follower gave the person (only they see it), the number under it.
      card.append(Hub.el('h3', null, p.label || phone));
      if (p.label) card.append(Hub.el('p', { class: 'muted phone' }, phone));
      if (p.state === 'revoked') card.append(Hub.el('p', { class: 'muted' }, Hub.t('follow.revoked', { phone })));
      else if (p.state !== 'active') card.append(Hub.el('p', { class: 'muted' }, Hub.t('follow.pendingOut')));
      else if (!c) card.append(Hub.el('p', { class: 'muted' }, Hub.t('follow.noCheckin')));
      else {
        card.append(Hub.el('p', { class: 'row' }, Hub.el('span', { class: 'status ' + c.status }, Hub.t('status.' + c.status)),
          Hub.el('span', { class: 'muted since', 'data-at': c.at }, Hub.when(c.at))));
        if (c.note) card.append(Hub.el('p', { class: 'note' }, c.note));
        if (c.location) {
          card.append(Hub.el('p', { class: 'muted' }, c.location.lat.toFixed(4) + ', ' + c.location.lon.toFixed(4)));
        }
        card.append(Hub.el('p', { class: 'muted' }, Hub.t('seq', { n: c.seq })));
        const l = p.lateSeen;
        if (l && l.seq > c.seq) {
          card.append(Hub.el('p', { class: 'muted late' }, Hub.t('status.' + l.status) + ' — '
            + Hub.t('follow.late', { time: Hub.time(l.madeAt || l.at) }) + (l.note ? ': ' + l.note : '')));
        }
      }
      card.append(labelForm(phone, p));
      cards.append(card);
    }
    if (typing && typing.id && $(typing.id)) { $(typing.id).value = typing.value; $(typing.id).focus(); }
  }

  /** "Name (only you see it)": PUT /api/v1/follows/{phone} {label}. */
  function labelForm(phone, p) {
    const id = 'label-' + phone.replace(/\D/g, '');
    const input = Hub.el('input', { type: 'text', id, value: p.label || '', autocomplete: 'off' });
    const form = Hub.el('form', { class: 'label-form' },
      Hub.el('label', { for: id }, Hub.t('follow.label')), input,
      Hub.el('button', { type: 'submit', class: 'secondary' }, Hub.t('follow.saveLabel')));
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      try {
        const r = await Hub.api('PUT', '/api/v1/follows/' + enc(phone), { label: input.value.trim() }, Hub.session.token);
        p.label = r.label || '';
        $('follow-result').textContent = Hub.t('follow.labelSaved');
        render();
      } catch (e) { fail(e); }
    });
    return form;
  }

  function button(key, cls, action) {
    return Hub.el('button', { type: 'button', class: cls, onclick: async () => {
      try { await action(); await refresh(); } catch (e) { fail(e); }
    } }, Hub.t(key));
  }

  function renderFollowers(list) {
    const incoming = $('incoming');
    const active = $('followers');
    incoming.replaceChildren();
    active.replaceChildren();
    const answer = (phone, allow) => Hub.api('POST', '/api/v1/followers/' + enc(phone), { allow }, Hub.session.token);
    for (const f of list) {
      if (f.state === 'pending') {
        incoming.append(Hub.el('li', { class: 'row', 'data-phone': f.phone }, Hub.el('span', null, f.phone),
          Hub.el('span', null, button('follow.allow', 'safe', () => answer(f.phone, true)),
            button('follow.refuse', 'secondary', () => answer(f.phone, false)))));
      } else if (f.state === 'active') {
        active.append(Hub.el('li', { class: 'row', 'data-phone': f.phone }, Hub.el('span', null, f.phone),
          button('follow.revoke', 'secondary', () => answer(f.phone, false))));
      }
    }
    if (!incoming.children.length) incoming.append(Hub.el('li', { class: 'muted' }, Hub.t('follow.nobody')));
    if (!active.children.length) active.append(Hub.el('li', { class: 'muted' }, Hub.t('follow.nobody')));
  }

  function renderContacts(list) {
    const ul = $('contacts');
    ul.replaceChildren();
    for (const c of list) {
      ul.append(Hub.el('li', { class: 'row' }, Hub.el('span', null, c.phone), button('follow.remove', 'secondary',
        () => Hub.api('DELETE', '/api/v1/contacts/' + enc(c.phone), undefined, Hub.session.token))));
    }
  }

  $('follow-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const phone = $('follow-phone').value.trim();
    try {
      const r = await Hub.api('POST', '/api/v1/follows', { phone, sms: $('follow-sms').checked }, Hub.session.token);
      $('follow-result').textContent = Hub.t(r.state === 'active' ? 'follow.activeNow' : 'follow.asked', { phone: r.phone });
      $('follow-phone').value = '';
      await refresh();
    } catch (e) { $('follow-result').textContent = e.message; }
  });

  $('contact-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      await Hub.api('PUT', '/api/v1/contacts/' + enc($('contact-phone').value.trim()), undefined, Hub.session.token);
      $('contact-phone').value = '';
      await refresh();
    } catch (e) { fail(e); }
  });

  $('signout').addEventListener('click', async () => {
    if (conn) { conn.stop(); conn = null; }
    await Hub.signOut();
    people.clear();
    show();
  });

  document.addEventListener('hub:lang', () => { render(); onState(connState); refresh(); });
  // "time since" stays true without a reload.
  setInterval(() => document.querySelectorAll('.since').forEach(e => { e.textContent = Hub.when(e.dataset.at); }), 30000);
  show();
});
