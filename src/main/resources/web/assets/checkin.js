/* "/" — check in: sign in with an SMS code, then tap I'm safe / I need help; a running safety check
   ("are you safe?") shows its question, answered in one tap. */
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  Hub.init();
  const signin = document.getElementById('signin');
  const box = document.getElementById('checkin');
  const result = document.getElementById('result');
  let last = null;
  const ASK = {
    en: { safe: "I'm safe", help: 'I need help', sent: 'Answer sent. Thank you.', failed: 'Not sent: {msg}. Try again.' },
    es: { safe: 'Estoy bien', help: 'Necesito ayuda', sent: 'Respuesta enviada. Gracias.', failed: 'No se envió: {msg}. Intente de nuevo.' }
  };
  const at = (k, msg) => (ASK[Hub.lang] || ASK.en)[k].replace('{msg}', msg || '');
  const asks = new Map(); // check id -> safety_check frame, unanswered
  let live = null;

  function showAsk() {
    const a = [...asks.values()][0];
    document.getElementById('ask').hidden = !a;
    if (!a) return;
    document.getElementById('ask').dataset.check = a.id;
    document.getElementById('ask-question').textContent = a.incident + ': ' + a.question;
    document.getElementById('ask-safe').textContent = at('safe');
    document.getElementById('ask-help').textContent = at('help');
  }

  async function answer(status) {
    const id = document.getElementById('ask').dataset.check;
    const res = document.getElementById('ask-result');
    try {
      await Hub.api('POST', '/api/v1/safety-checks/' + id + '/answers', { status }, Hub.session.token);
      asks.delete(id);
      res.className = '';
      res.textContent = at('sent');
      res.dataset.answered = id;
      showAsk();
    } catch (e) { res.className = 'error'; res.textContent = at('failed', e.message); }
  }
  document.getElementById('ask-safe').addEventListener('click', () => answer('safe'));
  document.getElementById('ask-help').addEventListener('click', () => answer('need_help'));

  function listen() {
    if (live || !Hub.session.token) return;
    live = Hub.live({
      onOpen: ws => ws.send(JSON.stringify({ type: 'auth', token: Hub.session.token })),
      onFrame: f => { if (f.type === 'safety_check') { asks.set(f.id, f); showAsk(); } },
      onState: () => {}
    });
  }

  function show() {
    const signedIn = !!Hub.session.token;
    box.hidden = !signedIn;
    signin.hidden = signedIn;
    if (signedIn) { document.getElementById('me').textContent = Hub.session.phone; listen(); }
    else { if (live) { live.stop(); live = null; } asks.clear(); showAsk(); Hub.signIn(signin, show); }
  }

  function position() {
    return new Promise(resolve => {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(
        p => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracyM: Math.round(p.coords.accuracy) }),
        () => resolve(null), { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
    });
  }

  document.getElementById('signout').addEventListener('click', async () => { await Hub.signOut(); show(); });
  document.addEventListener('hub:lang', () => { if (last) result.textContent = last(); showAsk(); });

  document.getElementById('checkin-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const status = ev.submitter ? ev.submitter.value : 'safe';
    const buttons = box.querySelectorAll('button[type=submit]');
    buttons.forEach(b => { b.disabled = true; });
    result.className = '';
    result.textContent = Hub.t('checkin.sending');
    const body = { status };
    const note = document.getElementById('note').value.trim();
    if (note) body.note = note;
    let noLocation = false;
    if (document.getElementById('share-location').checked) {
      const loc = await position();
      if (loc) body.location = loc; else noLocation = true;
    }
    // One key per tap: a retry after a lost answer returns the first check-in instead of a second one.
    const key = Hub.newKey();
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await Hub.api('POST', '/api/v1/checkins', body, Hub.session.token, { 'Idempotency-Key': key });
        last = () => Hub.t(status === 'safe' ? 'checkin.sent' : 'checkin.sentHelp', { time: Hub.time(r.at), n: r.notified })
          + (noLocation ? ' ' + Hub.t('checkin.noLocation') : '');
        result.textContent = last();
        result.dataset.notified = r.notified;
        result.dataset.seq = r.seq;
        break;
      } catch (e) {
        if (e.status === 401) { Hub.session.clear(); show(); result.textContent = ''; break; }
        if ((e.status === 0 || e.status === 503) && attempt < 3) {
          await new Promise(r => setTimeout(r, 1000 * (attempt + 1)));
          continue;
        }
        last = null;
        result.className = 'error';
        result.textContent = Hub.t('checkin.retry', { msg: e.message });
        break;
      }
    }
    buttons.forEach(b => { b.disabled = false; });
  });
  show();
});
