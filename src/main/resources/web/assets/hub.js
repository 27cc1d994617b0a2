/* Crisis Hub pages: shared helpers (i18n EN/ES, API calls, sign-in, live connection). No dependencies. */
'use strict';
const HUB_TEXT = {
  en: {
    'nav.checkin': 'Check in', 'nav.follow': 'Family', 'nav.responder': 'Responders',
    'signin.phone': 'Your mobile number', 'signin.sendCode': 'Text me a code', 'signin.code': 'Code from the SMS',
    'signin.verify': 'Sign in', 'signin.codeSent': 'We texted a 6-digit code to {phone}.', 'signin.other': 'Use another number',
    'signedInAs': 'Signed in as', 'signOut': 'Sign out',
    'checkin.title': 'Tell your people you are safe', 'checkin.note': 'Note (optional)',
    'checkin.location': 'Add my location (asks your browser)', 'checkin.safe': "I'm safe", 'checkin.help': 'I need help',
    'checkin.sending': 'Sending…', 'checkin.sent': 'Sent at {time}.',
    'checkin.sentHelp': 'Help request sent at {time}. Responders see it only if you name an incident or are inside its area.',
    'checkin.noLocation': 'Location not available: sent without it.', 'checkin.retry': 'Not sent: {msg}. Try again.',
    'follow.title': 'Family board', 'follow.add': 'Follow a number', 'follow.phone': 'Their mobile number',
    'follow.sms': 'Also text me their updates', 'follow.submit': 'Ask to follow', 'follow.people': 'People I follow',
    'follow.none': 'You follow nobody yet. Ask to follow someone: they must agree.',
    'follow.noCheckin': 'No check-in yet', 'follow.pendingOut': 'Waiting for their answer',
    'follow.incoming': 'Asking to follow me', 'follow.allow': 'Allow', 'follow.refuse': 'Refuse',
    'follow.myFollowers': 'Following me', 'follow.revoke': 'Stop sharing', 'follow.nobody': 'Nobody.',
    'follow.contacts': 'Trusted contacts (may follow me without asking)', 'follow.trust': 'Trust this number',
    'follow.remove': 'Remove', 'follow.asked': 'Asked {phone}.', 'follow.activeNow': 'You now follow {phone}.',
    'conn.live': 'Live', 'conn.connecting': 'Connecting…', 'conn.offline': 'Offline: reconnecting',
    'status.safe': 'Safe', 'status.need_help': 'Needs help', 'seq': 'update #{n}',
    'ago.now': 'just now', 'ago.min': '{n} min ago', 'ago.h': '{n} h ago', 'ago.d': '{n} days ago',
    'inc.title': 'Official notices: {code}', 'inc.none': 'No notices for this incident yet.',
    'inc.verified': '✓ Verified: signed by {agency}', 'inc.unverified': '✗ Not verified: do not trust this notice',
    'inc.noCrypto': 'This browser cannot check signatures', 'inc.cancelled': 'Cancelled', 'inc.superseded': 'Replaced by a newer notice',
    'inc.expired': 'Expired', 'inc.sent': 'Sent {time}', 'inc.expires': 'until {time}',
    'resp.title': 'Responder console', 'resp.user': 'Username', 'resp.pass': 'Password', 'resp.login': 'Log in',
    'resp.incident': 'Incident', 'resp.help': 'Help requests', 'resp.noHelp': 'No open help requests.',
    'resp.ack': 'Acknowledge', 'resp.resolve': 'Resolve', 'resp.draft': 'New notice', 'resp.headline': 'Headline',
    'resp.body': 'Text', 'resp.severity': 'Severity', 'resp.urgency': 'Urgency', 'resp.certainty': 'Certainty',
    'resp.area': 'Area (description, optional)', 'resp.saveDraft': 'Save draft', 'resp.notices': 'Notices',
    'resp.approve': 'Approve', 'resp.publish': 'Publish', 'resp.noIncident': 'No open incident.',
    'err.network': 'network unreachable',
    'checkin.sentHelpTo': 'Help request sent to {incident} at {time}.',
    'checkin.saved': 'Saved on this phone — will send when connected.',
    'checkin.savedN': '{n} check-in(s) saved on this phone — will send when connected.',
    'checkin.sentLater': 'Sent at {time} (made {made}).',
    'checkin.late': 'A newer check-in was already shown to your people: this one is kept in the history only.',
    'checkin.dropped': '{n} check-in(s) saved more than 24 hours ago were not sent (too old). Check in again.',
    'checkin.failed': 'A saved check-in was refused: {msg}.',
    'checkin.insecure': 'This page is not on a secure (https) address: check-ins saved offline are kept only while this page stays open.',
    'checkin.sms': 'Text it instead (SMS to {number})',
    'checkin.incident': 'Incident (for help requests)', 'checkin.noIncident': 'No incident',
    'help.title': 'My help request', 'help.open': 'Sent to {incident}: waiting for a responder.',
    'help.acknowledged': 'Seen by {by} at {time}.', 'help.resolved': 'Resolved by {by} at {time}.',
    'help.someone': 'a responder', 'help.dismiss': 'Hide',
    'help.replyLabel': 'Answer the responders', 'help.send': 'Send', 'help.you': 'You',
    'conn.link': 'Link',
    'follow.approved': '{phone} agreed: you now follow them.', 'follow.revoked': '{phone} stopped sharing with you.',
    'follow.late': 'arrived late, made {time}',
    'err.invalid_request': 'Something in the form is not right. Check it and try again.',
    'err.unauthorized': 'You are signed out. Sign in again.',
    'err.forbidden': 'Not allowed.',
    'err.not_found': 'Not found.',
    'err.conflict': 'That was already done.',
    'err.too_large': 'Too long. Shorten it and try again.',
    'err.rate_limited': 'Too many tries. Wait a few minutes and try again.',
    'err.internal': 'Something went wrong on the hub. Try again.',
    'err.unavailable': 'The hub cannot record this right now. Try again in a moment.',
    'err.unknown': 'Something went wrong. Try again.',
    'signin.badCode': 'Wrong or expired code. Ask for a new one.',
    'signin.badPhone': 'That number was not understood. Write it with the country code, e.g. +1 555 123 4567.',
    'cap.Extreme': 'Extreme', 'cap.Severe': 'Severe', 'cap.Moderate': 'Moderate', 'cap.Minor': 'Minor',
    'cap.Unknown': 'Unknown', 'cap.Immediate': 'Immediate', 'cap.Expected': 'Expected', 'cap.Future': 'Future',
    'cap.Past': 'Past', 'cap.Observed': 'Observed', 'cap.Likely': 'Likely', 'cap.Possible': 'Possible',
    'cap.Unlikely': 'Unlikely',
    'inc.unknown': 'There is no incident {code}. Check the code or the link.',
    'told.followers': '{n} follower(s) told.', 'told.responders': 'Responders of {incidents} told.',
    'told.nobody': 'Nobody follows you yet: ask your family to open this site, choose Family and follow {phone} (or text FOLLOW {phone} to the hub).',
    'checkin.last': 'Last sent: {status} at {time} ({ago}).',
    'follow.label': 'Name (only you see it)', 'follow.saveLabel': 'Save name', 'follow.labelSaved': 'Name saved.'
  },
  es: {
    'nav.checkin': 'Reportarme', 'nav.follow': 'Familia', 'nav.responder': 'Equipos de respuesta',
    'signin.phone': 'Su número de celular', 'signin.sendCode': 'Enviarme un código', 'signin.code': 'Código del SMS',
    'signin.verify': 'Entrar', 'signin.codeSent': 'Enviamos un código de 6 dígitos a {phone}.', 'signin.other': 'Usar otro número',
    'signedInAs': 'Conectado como', 'signOut': 'Salir',
    'checkin.title': 'Avise a los suyos que está a salvo', 'checkin.note': 'Nota (opcional)',
    'checkin.location': 'Añadir mi ubicación (lo pide su navegador)', 'checkin.safe': 'Estoy bien', 'checkin.help': 'Necesito ayuda',
    'checkin.sending': 'Enviando…', 'checkin.sent': 'Enviado a las {time}.',
    'checkin.sentHelp': 'Pedido de ayuda enviado a las {time}. Los equipos lo ven solo si nombra un incidente o está en su zona.',
    'checkin.noLocation': 'Ubicación no disponible: enviado sin ella.', 'checkin.retry': 'No se envió: {msg}. Intente de nuevo.',
    'follow.title': 'Tablero familiar', 'follow.add': 'Seguir un número', 'follow.phone': 'Su número de celular',
    'follow.sms': 'Enviarme también sus avisos por SMS', 'follow.submit': 'Pedir seguir', 'follow.people': 'Personas que sigo',
    'follow.none': 'Todavía no sigue a nadie. Pida seguir a alguien: esa persona debe aceptar.',
    'follow.noCheckin': 'Sin reportes todavía', 'follow.pendingOut': 'Esperando su respuesta',
    'follow.incoming': 'Quieren seguirme', 'follow.allow': 'Permitir', 'follow.refuse': 'Rechazar',
    'follow.myFollowers': 'Me siguen', 'follow.revoke': 'Dejar de compartir', 'follow.nobody': 'Nadie.',
    'follow.contacts': 'Contactos de confianza (pueden seguirme sin pedir)', 'follow.trust': 'Confiar en este número',
    'follow.remove': 'Quitar', 'follow.asked': 'Pedido enviado a {phone}.', 'follow.activeNow': 'Ahora sigue a {phone}.',
    'conn.live': 'En vivo', 'conn.connecting': 'Conectando…', 'conn.offline': 'Sin conexión: reconectando',
    'status.safe': 'A salvo', 'status.need_help': 'Necesita ayuda', 'seq': 'aviso n.º {n}',
    'ago.now': 'ahora', 'ago.min': 'hace {n} min', 'ago.h': 'hace {n} h', 'ago.d': 'hace {n} días',
    'inc.title': 'Avisos oficiales: {code}', 'inc.none': 'Todavía no hay avisos para este incidente.',
    'inc.verified': '✓ Verificado: firmado por {agency}', 'inc.unverified': '✗ No verificado: no confíe en este aviso',
    'inc.noCrypto': 'Este navegador no puede comprobar firmas', 'inc.cancelled': 'Cancelado', 'inc.superseded': 'Reemplazado por un aviso más reciente',
    'inc.expired': 'Vencido', 'inc.sent': 'Enviado {time}', 'inc.expires': 'hasta {time}',
    'resp.title': 'Consola de respuesta', 'resp.user': 'Usuario', 'resp.pass': 'Contraseña', 'resp.login': 'Entrar',
    'resp.incident': 'Incidente', 'resp.help': 'Pedidos de ayuda', 'resp.noHelp': 'No hay pedidos de ayuda abiertos.',
    'resp.ack': 'Confirmar', 'resp.resolve': 'Resolver', 'resp.draft': 'Nuevo aviso', 'resp.headline': 'Titular',
    'resp.body': 'Texto', 'resp.severity': 'Gravedad', 'resp.urgency': 'Urgencia', 'resp.certainty': 'Certeza',
    'resp.area': 'Zona (descripción, opcional)', 'resp.saveDraft': 'Guardar borrador', 'resp.notices': 'Avisos',
    'resp.approve': 'Aprobar', 'resp.publish': 'Publicar', 'resp.noIncident': 'No hay incidentes abiertos.',
    'err.network': 'sin conexión',
    'checkin.sentHelpTo': 'Pedido de ayuda enviado a {incident} a las {time}.',
    'checkin.saved': 'Guardado en este teléfono — se enviará al haber conexión.',
    'checkin.savedN': '{n} reporte(s) guardado(s) en este teléfono — se enviarán al haber conexión.',
    'checkin.sentLater': 'Enviado a las {time} (hecho {made}).',
    'checkin.late': 'Los suyos ya vieron un reporte más reciente: este queda solo en el historial.',
    'checkin.dropped': '{n} reporte(s) guardado(s) hace más de 24 horas no se enviaron (demasiado antiguos). Repórtese de nuevo.',
    'checkin.failed': 'Un reporte guardado fue rechazado: {msg}.',
    'checkin.insecure': 'Esta página no está en una dirección segura (https): los reportes guardados sin conexión se conservan solo mientras la página siga abierta.',
    'checkin.sms': 'Enviarlo por SMS (a {number})',
    'checkin.incident': 'Incidente (para pedidos de ayuda)', 'checkin.noIncident': 'Ningún incidente',
    'help.title': 'Mi pedido de ayuda', 'help.open': 'Enviado a {incident}: esperando a un equipo de respuesta.',
    'help.acknowledged': 'Visto por {by} a las {time}.', 'help.resolved': 'Resuelto por {by} a las {time}.',
    'help.someone': 'un equipo de respuesta', 'help.dismiss': 'Ocultar',
    'help.replyLabel': 'Responder al equipo', 'help.send': 'Enviar', 'help.you': 'Tú',
    'conn.link': 'Conexión',
    'follow.approved': '{phone} aceptó: ahora sigue a esa persona.', 'follow.revoked': '{phone} dejó de compartir con usted.',
    'follow.late': 'llegó tarde, hecho {time}',
    'err.invalid_request': 'Algo del formulario no está bien. Revíselo e intente de nuevo.',
    'err.unauthorized': 'Su sesión terminó. Vuelva a entrar.',
    'err.forbidden': 'No permitido.',
    'err.not_found': 'No encontrado.',
    'err.conflict': 'Eso ya estaba hecho.',
    'err.too_large': 'Demasiado largo. Acórtelo e intente de nuevo.',
    'err.rate_limited': 'Demasiados intentos. Espere unos minutos e intente de nuevo.',
    'err.internal': 'Algo falló en el servidor. Intente de nuevo.',
    'err.unavailable': 'Ahora no se puede registrar. Intente de nuevo en un momento.',
    'err.unknown': 'Algo falló. Intente de nuevo.',
    'signin.badCode': 'Código incorrecto o vencido. Pida uno nuevo.',
    'signin.badPhone': 'No entendimos ese número. Escríbalo con el código de país, p. ej. +1 555 123 4567.',
    'cap.Extreme': 'Extrema', 'cap.Severe': 'Grave', 'cap.Moderate': 'Moderada', 'cap.Minor': 'Menor',
    'cap.Unknown': 'Desconocida', 'cap.Immediate': 'Inmediata', 'cap.Expected': 'Esperada', 'cap.Future': 'Futura',
    'cap.Past': 'Pasada', 'cap.Observed': 'Observada', 'cap.Likely': 'Probable', 'cap.Possible': 'Posible',
    'cap.Unlikely': 'Improbable',
    'inc.unknown': 'No existe el incidente {code}. Revise el código o el enlace.',
    'told.followers': 'Avisamos a {n} seguidor(es).', 'told.responders': 'Avisamos a los equipos de {incidents}.',
    'told.nobody': 'Todavía nadie lo sigue: pida a su familia que abra este sitio, elija Familia y siga a {phone} (o que envíe SEGUIR {phone} por SMS al número del sistema).',
    'checkin.last': 'Último envío: {status} a las {time} ({ago}).',
    'follow.label': 'Nombre (solo usted lo ve)', 'follow.saveLabel': 'Guardar nombre', 'follow.labelSaved': 'Nombre guardado.'
  }
};
const Hub = {
  lang: localStorage.getItem('hub.lang') || ((navigator.language || 'en').toLowerCase().startsWith('es') ? 'es' : 'en'),

  t(key, vars) {
    let s = (HUB_TEXT[Hub.lang] || {})[key] || HUB_TEXT.en[key] || key;
    for (const k in vars || {}) s = s.split('{' + k + '}').join(vars[k]);
    return s;
  },

  /** Fills every [data-i18n] element's text and [data-i18n-ph] placeholder. */
  translate(root) {
    (root || document).querySelectorAll('[data-i18n]').forEach(e => { e.textContent = Hub.t(e.dataset.i18n); });
    (root || document).querySelectorAll('[data-i18n-ph]').forEach(e => { e.placeholder = Hub.t(e.dataset.i18nPh); });
    document.documentElement.lang = Hub.lang;
    document.querySelectorAll('header .lang button').forEach(b => b.setAttribute('aria-pressed', b.dataset.lang === Hub.lang));
  },

  setLang(l) {
    Hub.lang = l;
    localStorage.setItem('hub.lang', l);
    Hub.translate();
    document.dispatchEvent(new Event('hub:lang'));
  },

  el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === 'class') e.className = attrs[k];
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  },

  /** The page's own text for an error code of the hub (docs/api.md "Errors"), in the page's language. */
  errorText(code) {
    return HUB_TEXT.en['err.' + code] ? Hub.t('err.' + code) : Hub.t('err.unknown');
  },

  /** Calls the API; resolves with the JSON body, rejects with an Error carrying status and code. */
  async api(method, path, body, token, headers) {
    const h = Object.assign({}, headers || {});
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (token) h.Authorization = 'Bearer ' + token;
    let r;
    try {
      r = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const err = new Error(Hub.t('err.network'));
      err.status = 0;
      throw err;
    }
    let json = null;
    try { json = await r.json(); } catch (e) { json = null; }
    if (!r.ok) {
      const code = json && json.error ? json.error.code : '';
      const err = new Error(Hub.errorText(code));
      err.status = r.status;
      err.code = code;
      err.serverMessage = json && json.error ? json.error.message : r.statusText;
      throw err;
    }
    return json;
  },

  session: {
    get token() { return localStorage.getItem('hub.token'); },
    get phone() { return localStorage.getItem('hub.phone'); },
    save(token, phone) { localStorage.setItem('hub.token', token); localStorage.setItem('hub.phone', phone); },
    clear() { localStorage.removeItem('hub.token'); localStorage.removeItem('hub.phone'); }
  },

  /** Renders the phone → code sign-in into {@code box}; calls done() once signed in. */
  signIn(box, done) {
    box.replaceChildren();
    const err = Hub.el('p', { class: 'error', role: 'alert' });
    const phone = Hub.el('input', { type: 'tel', id: 'signin-phone', autocomplete: 'tel', inputmode: 'tel', required: '' });
    const step1 = Hub.el('form', { id: 'signin-phone-form' },
      Hub.el('label', { for: 'signin-phone', 'data-i18n': 'signin.phone' }), phone,
      Hub.el('button', { type: 'submit', 'data-i18n': 'signin.sendCode' }));
    const code = Hub.el('input', { type: 'text', id: 'signin-code', inputmode: 'numeric', autocomplete: 'one-time-code',
      pattern: '[0-9]{6}', maxlength: '6', required: '' });
    const sentTo = Hub.el('p', { class: 'muted', role: 'status' });
    const step2 = Hub.el('form', { id: 'signin-code-form', hidden: '' }, sentTo,
      Hub.el('label', { for: 'signin-code', 'data-i18n': 'signin.code' }), code,
      Hub.el('button', { type: 'submit', 'data-i18n': 'signin.verify' }),
      Hub.el('button', { type: 'button', class: 'secondary', 'data-i18n': 'signin.other',
        onclick: () => { step2.hidden = true; step1.hidden = false; phone.focus(); } }));
    box.append(step1, step2, err);
    Hub.translate(box);
    let number = '';
    step1.addEventListener('submit', async ev => {
      ev.preventDefault();
      err.textContent = '';
      number = phone.value.trim();
      try {
        const sent = await Hub.api('POST', '/api/v1/otp', { phone: number });
        number = sent.phone || number; // the hub's E.164 form: shown, and the session's number
        sentTo.textContent = Hub.t('signin.codeSent', { phone: number });
        step1.hidden = true;
        step2.hidden = false;
        code.focus();
      } catch (e) { err.textContent = e.code === 'invalid_request' ? Hub.t('signin.badPhone') : e.message; }
    });
    step2.addEventListener('submit', async ev => {
      ev.preventDefault();
      err.textContent = '';
      try {
        const s = await Hub.api('POST', '/api/v1/sessions', { phone: number, code: code.value.trim() });
        Hub.session.save(s.token, s.phone || number);
        done();
      } catch (e) { err.textContent = e.code === 'forbidden' || e.code === 'invalid_request' ? Hub.t('signin.badCode') : e.message; }
    });
  },

  async signOut() {
    const token = Hub.session.token;
    Hub.session.clear();
    if (token) { try { await Hub.api('DELETE', '/api/v1/sessions', undefined, token); } catch (e) { /* gone already */ } }
  },

  timeAgo(iso) {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return Hub.t('ago.now');
    if (s < 3600) return Hub.t('ago.min', { n: Math.floor(s / 60) });
    if (s < 86400) return Hub.t('ago.h', { n: Math.floor(s / 3600) });
    return Hub.t('ago.d', { n: Math.floor(s / 86400) });
  },

  /** A clock time in the viewer's own zone ("14:05"), with the day when it is not today. */
  time(iso) {
    const d = new Date(iso);
    const today = new Date().toDateString() === d.toDateString();
    return d.toLocaleString(Hub.lang, today ? { hour: '2-digit', minute: '2-digit' }
      : { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'short' });
  },

  /** Clock time and how long ago: "14:05 · 12 min ago". */
  when(iso) {
    return Hub.time(iso) + ' · ' + Hub.timeAgo(iso);
  },

  /** Who was told of a check-in (its ack), and with no follower how to get one. */
  told(ack, phone) {
    const parts = [];
    if (ack.notified > 0) parts.push(Hub.t('told.followers', { n: ack.notified }));
    if (ack.helpIncidents && ack.helpIncidents.length) parts.push(Hub.t('told.responders', { incidents: ack.helpIncidents.join(', ') }));
    if (!(ack.notified > 0)) parts.push(Hub.t('told.nobody', { phone }));
    return parts.join(' ');
  },

  newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  },

  /**
   * A WebSocket that reconnects by itself: on a close it waits the delay the hub asked for
   * ("reconnect in N ms", a graceful restart) or a growing backoff with jitter, then connects again.
   * onOpen(ws) runs on each connection (send auth / subscribe there); onState(live|connecting|offline).
   */
  live(opts) {
    let attempt = 0;
    let stopped = false;
    let current = null;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/ws';
    function retry(reason) {
      opts.onState('offline');
      if (stopped) return;
      const asked = /reconnect in (\d+) ms/.exec(reason || '');
      attempt++;
      const delay = asked ? Number(asked[1]) : Math.min(30000, 500 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    }
    function connect() {
      opts.onState('connecting');
      const ws = new WebSocket(url);
      current = ws;
      // The page's own ping every 5 s: a link that answers nothing for 9 s is not Live any more (a
      // dead network does not close a WebSocket for minutes), and the connection is replaced.
      let heard = Date.now();
      const pinger = setInterval(() => { if (ws.readyState === 1) ws.send('{"type":"ping"}'); }, Hub.PING_MS);
      const watch = setInterval(() => {
        if (Date.now() - heard < Hub.SILENT_MS) return;
        done();
        try { ws.close(); } catch (e) { /* already closing */ }
        retry('');
      }, 500);
      function done() {
        clearInterval(pinger);
        clearInterval(watch);
        ws.onclose = ws.onmessage = ws.onerror = null;
      }
      ws.onopen = () => { attempt = 0; heard = Date.now(); opts.onOpen(ws); };
      ws.onmessage = m => {
        heard = Date.now();
        let f;
        try { f = JSON.parse(m.data); } catch (e) { return; }
        if (opts.onFrame) opts.onFrame(f, ws);
      };
      ws.onclose = ev => {
        done();
        if (ev.code === 4001) { opts.onState('offline'); return; }
        retry(ev.reason);
      };
    }
    connect();
    return {
      stop() { stopped = true; if (current) current.close(1000); },
      /** Connects again at once (the browser said it is online again). */
      now() { if (!stopped && current && current.readyState > 1) { attempt = 0; connect(); } }
    };
  },

  PING_MS: 5000,
  SILENT_MS: 9000,

  /** The hub's public settings ({smsNumber?}), kept for offline use; resolves with the last known copy. */
  async config() {
    try {
      const c = await Hub.api('GET', '/api/v1/config');
      localStorage.setItem('hub.config', JSON.stringify(c));
      return c;
    } catch (e) {
      try { return JSON.parse(localStorage.getItem('hub.config')) || {}; } catch (x) { return {}; }
    }
  },

  /** The service worker, where the browser has one (a secure context: https or localhost). */
  async worker() {
    if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
    try {
      await navigator.serviceWorker.register('/sw.js');
      return await navigator.serviceWorker.ready;
    } catch (e) { return null; }
  },

  /** The page header (one definition for every page: name, navigation, language switch). */
  init() {
    const lang = l => Hub.el('button', { type: 'button', 'data-lang': l, 'aria-label': l === 'en' ? 'English' : 'Español' },
      l.toUpperCase());
    const nav = Hub.el('nav', null, ...[['/', 'nav.checkin'], ['/follow', 'nav.follow'], ['/responder', 'nav.responder']]
      .map(([href, key]) => Hub.el('a', { href, 'data-i18n': key })));
    document.body.prepend(Hub.el('header', null, Hub.el('strong', null, 'Crisis Hub'), nav,
      Hub.el('div', { class: 'lang' }, lang('en'), lang('es'))));
    document.querySelectorAll('header .lang button').forEach(b => b.addEventListener('click', () => Hub.setLang(b.dataset.lang)));
    Hub.translate();
  }
};
