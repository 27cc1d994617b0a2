/* "/responder" — responder console: log in, live help queue (acknowledge / resolve), draft, approve, publish;
   safety checks: compose (with the audience, segments and send-time estimate), approve, start, watch tallies;
   templates: choose an approved one, fill its fields, see each language with its SMS segments, publish. */
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
  const SC = {
    en: { title: 'Safety check', question: 'Question', joined: 'Numbers that joined by SMS',
      inarea: 'People last seen in the area', numbers: 'More numbers (one per line, needs a second responder)',
      prepare: 'Prepare', start: 'Start', close: 'Close', approve: 'Approve',
      estimate: '{a} people, {s} SMS of {g} segment(s) ({e}), about {t} s to send',
      tallies: 'safe {safe} · need help {needHelp} · no answer {noAnswer} · unreachable {unreachable} · asked {asked} · delivered {delivered}',
      watch: 'Watch terms', watchLabel: 'Terms that raise a call for help (one per line, any language)', saveTerms: 'Save terms',
      saved: 'Saved {n} terms.', high: 'watch', thread: 'Messages', send: 'Send', ask: 'Write to this person…',
      person: 'person' },
    es: { title: 'Control de seguridad', question: 'Pregunta', joined: 'Números que se unieron por SMS',
      inarea: 'Personas vistas por última vez en la zona', numbers: 'Más números (uno por línea, requiere otra persona)',
      prepare: 'Preparar', start: 'Iniciar', close: 'Cerrar', approve: 'Aprobar',
      estimate: '{a} personas, {s} SMS de {g} segmento(s) ({e}), unos {t} s de envío',
      tallies: 'a salvo {safe} · necesitan ayuda {needHelp} · sin respuesta {noAnswer} · inalcanzables {unreachable} · preguntados {asked} · entregados {delivered}',
      watch: 'Términos vigilados', watchLabel: 'Términos que destacan una petición de ayuda (uno por línea, cualquier idioma)',
      saveTerms: 'Guardar términos', saved: '{n} términos guardados.', high: 'vigilado', thread: 'Mensajes', send: 'Enviar',
      ask: 'Escribir a esta persona…', person: 'persona' }
  };
  const threads = new Map(); // check-in id -> messages, for the requests whose thread is open
  let incidents = []; // the open incidents, as GET /api/v1/incidents lists them (with their areas)
  let notices = []; // the chosen incident's notices: [{notice, state}]
  /** Tells the desk (assets/desk.js, loaded at desk width only) what changed: help, checks, notices, incident, frame. */
  const changed = (what, detail) => document.dispatchEvent(new CustomEvent('resp:change', { detail: { what, detail } }));
  const flagged = new Set(); // check-in ids that matched while this console watched
  const TPL = {
    en: { title: 'From a template', choose: 'Template', none: 'No approved template yet', publish: 'Publish',
      segments: '{n} SMS segment(s), {e}', cut: 'shortened to fit', published: 'Published.',
      queue: 'Waiting for approval', noQueue: 'Nothing to approve', version: 'version {v} by {a}', approve: 'Approve' },
    es: { title: 'Desde una plantilla', choose: 'Plantilla', none: 'Aún no hay plantillas aprobadas', publish: 'Publicar',
      segments: '{n} segmento(s) SMS, {e}', cut: 'acortado para caber', published: 'Publicado.',
      queue: 'Pendientes de aprobación', noQueue: 'Nada que aprobar', version: 'versión {v} de {a}', approve: 'Aprobar' }
  };
  const tt = (k, vars) => { let s = (TPL[Hub.lang] || TPL.en)[k]; for (const v in vars || {}) s = s.split('{' + v + '}').join(vars[v]); return s; };
  const st = (k, vars) => { let s = (SC[Hub.lang] || SC.en)[k]; for (const v in vars || {}) s = s.split('{' + v + '}').join(vars[v]); return s; };
  const checks = new Map(); // id -> check
  function labelChecks() {
    $('sc-title').textContent = st('title'); $('sc-question-label').textContent = st('question');
    $('sc-joined-label').textContent = st('joined'); $('sc-inarea-label').textContent = st('inarea');
    $('sc-numbers-label').textContent = st('numbers'); $('sc-draft').textContent = st('prepare');
    $('watch-title').textContent = st('watch'); $('watch-label').textContent = st('watchLabel');
    $('watch-save').textContent = st('saveTerms');
  }

  async function loadTerms() {
    try {
      const r = await Hub.api('GET', '/api/v1/incidents/' + code() + '/watch-terms', undefined, token());
      $('watch-terms').value = r.terms.join('\n');
    } catch (e) { fail(e); }
  }

  $('watch-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const terms = $('watch-terms').value.split('\n').map(x => x.trim()).filter(x => x);
    try {
      const r = await Hub.api('PUT', '/api/v1/incidents/' + code() + '/watch-terms', { terms }, token());
      $('watch-terms').value = r.terms.join('\n');
      $('error').textContent = st('saved', { n: r.terms.length });
    } catch (e) { fail(e); }
  });

  async function toggleThread(id) {
    if (threads.has(id)) { threads.delete(id); renderHelp(); return; }
    try {
      threads.set(id, await Hub.api('GET', '/api/v1/help/' + id + '/messages', undefined, token()));
    } catch (e) { fail(e); }
    renderHelp();
  }

  /** The note with each matched term marked (compared without case and accents, as the hub matches). */
  function marked(note, terms) {
    const fold = x => x.normalize('NFKD').replace(/\p{Mn}/gu, '').normalize('NFKC').toLowerCase();
    const folded = fold(note);
    if (!terms.length || folded.length !== note.length) return [note];
    const out = [];
    let i = 0;
    while (i < note.length) {
      let hit = null;
      for (const t of terms) {
        const f = fold(t);
        const before = i === 0 || !/[\p{L}\p{N}]/u.test(folded[i - 1]);
        const after = i + f.length >= folded.length || !/[\p{L}\p{N}]/u.test(folded[i + f.length]);
        if (f && folded.startsWith(f, i) && before && after) { hit = f; break; }
      }
      if (hit) { out.push(Hub.el('mark', null, note.slice(i, i + hit.length))); i += hit.length; }
      else {
        const last = out[out.length - 1];
        if (typeof last === 'string') out[out.length - 1] = last + note[i]; else out.push(note[i]);
        i++;
      }
    }
    return out;
  }

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
      incidents = list;
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
    threads.clear();
    flagged.clear();
    try {
      // With the resolved ones: the list shows open and acknowledged requests; the desk counts and maps all.
      (await Hub.api('GET', '/api/v1/incidents/' + code() + '/help?include=resolved', undefined, token()))
        .forEach(h => help.set(h.id, h));
    } catch (e) { fail(e); }
    changed('incident');
    renderHelp();
    await loadNotices();
    await loadChecks();
    await loadTerms();
    await loadTemplates();
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
    changed('frame', f);
    if (f.type === 'ready') { onState('live'); resubscribe(ws); }
    else if (f.type === 'help' && f.checkin.incident === code()) { help.set(f.checkin.id, f.checkin); renderHelp(); }
    else if (f.type === 'watch_match' && f.incident === code()) {
      help.set(f.checkin.id, f.checkin);
      flagged.add(f.checkin.id);
      renderHelp();
    } else if (f.type === 'help_message' && help.has(f.checkin)) {
      if (threads.has(f.checkin) && !threads.get(f.checkin).some(m => m.id === f.message.id)) threads.get(f.checkin).push(f.message);
      help.get(f.checkin).lastMessage = f.message;
      renderHelp();
    }
    else if (f.type === 'notice') loadNotices();
    else if (f.type === 'safety_check_tally') {
      // A check started elsewhere (another responder's console): the frame names it, the list is read again.
      if (checks.has(f.id)) { checks.get(f.id).tallies = f.tallies; renderChecks(); } else loadChecks();
    }
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
    // As the hub lists them: watch matches (priority high) first, then oldest first.
    const open = [...help.values()].filter(h => h.state !== 'resolved').sort((a, b) =>
      (a.priority === 'high' ? 0 : 1) - (b.priority === 'high' ? 0 : 1) || Date.parse(a.at) - Date.parse(b.at));
    if (!open.length) ul.append(Hub.el('li', { class: 'muted' }, Hub.t('resp.noHelp')));
    for (const h of open) ul.append(helpItem(h));
    changed('help');
  }

  /** One help request as a list item: who, state, watch terms, note, place, Acknowledge / Resolve, its thread. */
  function helpItem(h) {
    const set = async what => {
      const r = await Hub.api('POST', '/api/v1/help/' + h.id + '/' + what, undefined, token());
      help.set(h.id, Object.assign(h, { state: r.state || (what === 'ack' ? 'acknowledged' : 'resolved') }));
      renderHelp();
    };
    const matched = h.matched || [];
    const thread = threads.get(h.id);
    const input = Hub.el('input', { type: 'text', maxlength: '280', placeholder: st('ask'), 'aria-label': st('ask') });
    const send = Hub.el('form', { class: 'row thread-send', onsubmit: async ev => {
      ev.preventDefault();
      if (!input.value.trim()) return;
      try {
        const m = await Hub.api('POST', '/api/v1/help/' + h.id + '/messages', { text: input.value.trim() }, token());
        input.value = '';
        if (threads.has(h.id) && !threads.get(h.id).some(x => x.id === m.id)) threads.get(h.id).push(m);
        renderHelp();
      } catch (e) { fail(e); }
    } }, input, Hub.el('button', { type: 'submit' }, st('send')));
    return Hub.el('li', { 'data-id': h.id, 'data-state': h.state, 'data-priority': h.priority || 'normal',
      class: h.priority === 'high' ? 'high' + (flagged.has(h.id) ? ' flagged' : '') : '' },
      Hub.el('div', { class: 'row' }, Hub.el('b', null, h.phone), Hub.el('span', { class: 'muted' }, h.state + ' · '
        + Hub.timeAgo(h.at))),
      matched.length ? Hub.el('p', { class: 'watch-terms' }, ...matched.map(t => Hub.el('span', { class: 'badge watch' },
        st('high') + ': ' + t))) : null,
      h.note ? Hub.el('p', { class: 'note' }, ...marked(h.note, matched)) : null,
      h.location ? Hub.el('p', { class: 'muted' }, h.location.lat.toFixed(5) + ', ' + h.location.lon.toFixed(5)) : null,
      h.state === 'open' ? action('resp.ack', 'secondary', () => set('ack')) : null,
      h.state !== 'resolved' ? action('resp.resolve', 'safe', () => set('resolve')) : null,
      Hub.el('button', { type: 'button', class: 'link', 'aria-expanded': String(!!thread), onclick: () => toggleThread(h.id) },
        st('thread') + (h.lastMessage && !thread ? ' •' : '')),
      thread ? Hub.el('ul', { class: 'plain thread' }, ...thread.map(m => Hub.el('li', { 'data-from': m.from },
        Hub.el('span', { class: 'muted' }, (m.from === 'person' ? st('person') : (m.byResponder || m.by || '')) + ' · '
          + Hub.time(m.at) + ' '), Hub.el('span', { class: 'note' }, m.text)))) : null,
      thread ? send : null);
  }

  async function loadNotices() {
    try {
      const list = await Hub.api('GET', '/api/v1/notices?incident=' + code(), undefined, token());
      notices = list;
      changed('notices');
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

  async function loadChecks() {
    try {
      checks.clear();
      (await Hub.api('GET', '/api/v1/incidents/' + code() + '/safety-checks', undefined, token())).forEach(c => checks.set(c.id, c));
      renderChecks();
    } catch (e) { fail(e); }
  }

  function renderChecks() {
    const ul = $('checks');
    ul.replaceChildren();
    changed('checks');
    for (const c of checks.values()) {
      const post = what => async () => {
        const r = await Hub.api('POST', '/api/v1/safety-checks/' + c.id + '/' + what, undefined, token());
        checks.set(c.id, Object.assign(c, r));
        renderChecks();
      };
      const btn = (key, cls, what) => Hub.el('button', { type: 'button', class: cls, 'data-action': what, onclick: async ev => {
        ev.target.disabled = true;
        try { await post(what)(); } catch (e) { fail(e); }
        ev.target.disabled = false;
      } }, st(key));
      const t = c.tallies;
      ul.append(Hub.el('li', { 'data-id': c.id, 'data-state': c.state },
        Hub.el('div', { class: 'row' }, Hub.el('b', null, c.question), Hub.el('span', { class: 'badge' }, c.state)),
        Hub.el('p', { class: 'muted sc-estimate' }, st('estimate', { a: c.audienceSize, s: c.smsRecipients,
          g: c.smsSegments, e: c.smsEncoding, t: c.estimatedSendSeconds })),
        t ? Hub.el('p', { class: 'sc-tallies', 'data-safe': t.safe, 'data-need-help': t.needHelp,
          'data-no-answer': t.noAnswer }, st('tallies', t)) : null,
        c.state === 'draft' && c.needsApproval ? btn('approve', 'secondary', 'approve') : null,
        c.state === 'approved' || (c.state === 'draft' && !c.needsApproval) ? btn('start', '', 'start') : null,
        c.state === 'running' ? btn('close', 'secondary', 'close') : null));
    }
  }

  $('sc-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const body = { audience: { joined: $('sc-joined').checked, inArea: $('sc-inarea').checked } };
    if ($('sc-question').value.trim()) body.question = $('sc-question').value.trim();
    const numbers = $('sc-numbers').value.split(/[\n,;]+/).map(x => x.trim()).filter(x => x);
    if (numbers.length) body.audience.numbers = numbers;
    try {
      const c = await Hub.api('POST', '/api/v1/incidents/' + code() + '/safety-checks', body, token());
      checks.set(c.id, c);
      await loadChecks();
      $('sc-form').reset();
    } catch (e) { fail(e); }
  });

  // ---- templates: only approved versions are offered; the hub fills, checks and previews the values.
  let template = null; // the approved version shown
  let previewTimer = null;
  function labelTemplates() {
    $('tpl-title').textContent = tt('title'); $('tpl-select-label').textContent = tt('choose');
    $('tpl-publish').textContent = tt('publish'); $('tpl-queue-title').textContent = tt('queue');
  }

  // Versions waiting for approval, every language shown in full: an approver of the agency who did not
  // write the version approves it here (the hub refuses the author).
  function renderQueue(all) {
    const ul = $('tpl-queue');
    const waiting = all.filter(t => t.state === 'draft');
    ul.replaceChildren();
    if (!waiting.length) { ul.append(Hub.el('li', { class: 'muted' }, tt('noQueue'))); return; }
    for (const t of waiting) {
      const langs = [{ language: t.language, headline: t.headline, body: t.body }].concat(t.variants);
      ul.append(Hub.el('li', { 'data-id': t.id, 'data-version': t.version },
        Hub.el('div', { class: 'row' }, Hub.el('b', null, t.name),
          Hub.el('span', { class: 'muted' }, tt('version', { v: t.version, a: t.author }))),
        ...langs.map(l => Hub.el('p', { lang: l.language }, Hub.el('span', { class: 'badge' }, l.language), ' ',
          Hub.el('b', null, l.headline), ' — ', l.body)),
        t.author === store.getItem('hub.ruser') ? null : Hub.el('button', { type: 'button', class: 'secondary',
          onclick: async ev => {
            ev.target.disabled = true;
            try { await Hub.api('POST', '/api/v1/templates/' + t.id + '/approve', undefined, token()); await loadTemplates(); }
            catch (e) { $('tpl-error').textContent = e.serverMessage || e.message; ev.target.disabled = false; }
          } }, tt('approve'))));
    }
  }

  async function loadTemplates() {
    try {
      const all = await Hub.api('GET', '/api/v1/templates', undefined, token());
      renderQueue(all);
      const list = all.filter(t => t.approvedVersion);
      const sel = $('tpl-select');
      const keep = sel.value;
      sel.replaceChildren(...list.map(t => Hub.el('option', { value: t.id, 'data-version': t.approvedVersion }, t.name)));
      $('tpl-box').dataset.count = list.length;
      if (!list.length) {
        template = null;
        $('tpl-fields').replaceChildren(Hub.el('p', { class: 'muted' }, tt('none')));
        $('tpl-preview').replaceChildren();
        $('tpl-publish').disabled = true;
        return;
      }
      $('tpl-publish').disabled = false;
      if (keep && list.some(t => t.id === keep)) sel.value = keep;
      await chooseTemplate();
    } catch (e) { fail(e); }
  }

  async function chooseTemplate() {
    const opt = $('tpl-select').selectedOptions[0];
    if (!opt) return;
    try {
      template = await Hub.api('GET', '/api/v1/templates/' + opt.value + '?version=' + opt.dataset.version, undefined, token());
    } catch (e) { fail(e); return; }
    const fields = Object.entries(template.placeholders).map(([name, p]) => {
      const id = 'tpl-v-' + name;
      return [Hub.el('label', { for: id }, name + ' (≤ ' + p.maxLength + ')'),
        Hub.el('input', { type: 'text', id, 'data-name': name, maxlength: String(p.maxLength), required: '',
          oninput: schedulePreview })];
    }).flat();
    $('tpl-fields').replaceChildren(...fields);
    $('tpl-error').textContent = '';
    preview();
  }

  function values() {
    const v = {};
    document.querySelectorAll('#tpl-fields input[data-name]').forEach(i => { v[i.dataset.name] = i.value; });
    return v;
  }

  function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 250); }

  async function preview() {
    if (!template) return;
    const out = $('tpl-preview');
    try {
      const p = await Hub.api('POST', '/api/v1/templates/' + template.id + '/preview',
        { values: values(), incident: code(), version: template.version }, token());
      $('tpl-error').textContent = '';
      out.dataset.state = 'ok';
      out.replaceChildren(...p.languages.map(l => Hub.el('div', { class: 'tpl-lang', lang: l.language,
        'data-lang': l.language, 'data-segments': l.smsSegments },
        Hub.el('div', { class: 'row' }, Hub.el('b', null, l.headline), Hub.el('span', { class: 'badge' }, l.language)),
        Hub.el('p', null, l.body),
        Hub.el('p', { class: 'muted tpl-sms' }, tt('segments', { n: l.smsSegments, e: l.smsEncoding })
          + (l.smsCut ? ' — ' + tt('cut') : '')))));
    } catch (e) {
      // Until every field is filled (and fits) the hub says what is missing: shown, not treated as a failure.
      out.dataset.state = 'invalid';
      out.replaceChildren();
      $('tpl-error').textContent = e.serverMessage || e.message;
    }
  }

  $('tpl-select').addEventListener('change', chooseTemplate);
  $('tpl-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    if (!template) return;
    $('tpl-publish').disabled = true;
    try {
      const d = await Hub.api('POST', '/api/v1/notices', { incident: code(), template: template.id, values: values() }, token());
      await Hub.api('POST', '/api/v1/notices/' + d.id + '/publish', undefined, token());
      document.querySelectorAll('#tpl-fields input[data-name]').forEach(i => { i.value = ''; });
      $('tpl-error').textContent = tt('published');
      $('tpl-preview').replaceChildren();
      await loadNotices();
    } catch (e) { $('tpl-error').textContent = e.serverMessage || e.message; await loadNotices(); }
    $('tpl-publish').disabled = false;
  });

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

  // The desk (docs/web.md): at 1024 px and wider, Leaflet and assets/desk.js are loaded, once; never on a phone.
  window.Responder = { help, checks, threads, token, code, helpItem, renderHelp, fail,
    get incidents() { return incidents; }, get notices() { return notices; },
    /** Opens a request's thread (loads it; leaves it open if it already is). */
    async openThread(id) { if (!threads.has(id)) await toggleThread(id); } };
  const deskWidth = matchMedia('(min-width: 1024px)');
  function loadDesk() {
    const b = document.body.dataset;
    if (!deskWidth.matches || b.desk) return;
    b.desk = 'loading';
    const get = (tag, attrs) => new Promise((ok, no) => document.head.append(Hub.el(tag, Object.assign({ onload: ok, onerror: no }, attrs))));
    Promise.all([get('link', { rel: 'stylesheet', href: b.leafletCss }), get('link', { rel: 'stylesheet', href: b.deskCss }),
      get('script', { src: b.leafletJs })]).then(() => get('script', { src: b.deskJs })).catch(() => { b.desk = ''; });
  }
  deskWidth.addEventListener('change', loadDesk);
  loadDesk();

  document.addEventListener('hub:lang', () => { renderHelp(); loadNotices(); onState(connState); labelChecks(); renderChecks();
    labelTemplates(); preview(); });
  labelChecks();
  labelTemplates();
  show();
});
