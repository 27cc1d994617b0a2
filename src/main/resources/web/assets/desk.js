/* "/responder" at desk width (>= 1024 px): the chosen incident at a glance (docs/web.md). Counts (help requests
   by state, watch matches, the running safety check's tallies, notices by state), the help queue with its threads,
   the running safety check's people by state, and a Leaflet map of the incident's area and of the calls for help
   that shared a location (the contract maps need-help locations only). responder.js loads this file, after
   Leaflet, only at desk width; its state comes from window.Responder and 'resp:change' events, which WebSocket
   frames drive (a frame may refetch the list it changed). Nothing here polls on a timer. */
'use strict';
const DESK_TEXT = {
  en: {
    'desk.title': 'Incident at a glance', 'desk.help': 'Help requests', 'desk.open': 'Open',
    'desk.acknowledged': 'Acknowledged', 'desk.resolved': 'Resolved', 'desk.high': 'Watch matches',
    'desk.check': 'Safety check', 'desk.noCheck': 'No safety check running.', 'desk.safe': 'Safe',
    'desk.need_help': 'Need help', 'desk.no_answer': 'No answer', 'desk.unreachable': 'Unreachable',
    'desk.notices': 'Notices', 'desk.n.draft': 'Drafts', 'desk.n.approved': 'Approved', 'desk.n.published': 'Published',
    'desk.n.superseded': 'Replaced', 'desk.n.cancelled': 'Cancelled', 'desk.n.expired': 'Expired',
    'desk.map': 'Map of the calls for help', 'desk.zoomIn': 'Zoom in', 'desk.zoomOut': 'Zoom out',
    'desk.noTiles': 'No map tiles configured: the area and the calls for help on a plain background.',
    'desk.tilesDown': 'Map tiles unreachable: the area and the calls for help on a plain background.',
    'desk.showResolved': 'Show resolved requests', 'desk.noPlace': '{n} request(s) without a location (in the list only).',
    'desk.pin': 'Call for help from {phone}, {state}', 'desk.pinHigh': 'watch match',
    'desk.s.open': 'open', 'desk.s.acknowledged': 'acknowledged', 'desk.s.resolved': 'resolved',
    'desk.legendHigh': 'open, watch match', 'desk.area': 'incident area',
    'desk.selected': 'Selected request',
    'desk.select': 'Choose a marker on the map (or Tab to it and press Enter) to open the request and its thread.',
    'desk.people': 'People by state', 'desk.nobody': 'Nobody in this state.', 'desk.more': 'The first {n} are shown.', 'desk.reported': 'reported {status} at {time}',
    'desk.delivery': 'text message {state}', 'desk.d.queued': 'waiting to be sent', 'desk.d.sent': 'sent',
    'desk.d.delivered': 'delivered', 'desk.d.undelivered': 'not delivered', 'desk.d.failed': 'failed',
    'desk.inAreaLater': 'People asked because they were last seen in the area are listed only once they answer.'
  },
  es: {
    'desk.title': 'El incidente de un vistazo', 'desk.help': 'Pedidos de ayuda', 'desk.open': 'Abiertos',
    'desk.acknowledged': 'Confirmados', 'desk.resolved': 'Resueltos', 'desk.high': 'Coincidencias vigiladas',
    'desk.check': 'Control de seguridad', 'desk.noCheck': 'Ningún control de seguridad en curso.', 'desk.safe': 'A salvo',
    'desk.need_help': 'Necesitan ayuda', 'desk.no_answer': 'Sin respuesta', 'desk.unreachable': 'Inalcanzables',
    'desk.notices': 'Avisos', 'desk.n.draft': 'Borradores', 'desk.n.approved': 'Aprobados', 'desk.n.published': 'Publicados',
    'desk.n.superseded': 'Reemplazados', 'desk.n.cancelled': 'Cancelados', 'desk.n.expired': 'Vencidos',
    'desk.map': 'Mapa de los pedidos de ayuda', 'desk.zoomIn': 'Acercar', 'desk.zoomOut': 'Alejar',
    'desk.noTiles': 'Sin mosaicos de mapa configurados: la zona y los pedidos de ayuda sobre un fondo liso.',
    'desk.tilesDown': 'No se alcanzan los mosaicos del mapa: la zona y los pedidos de ayuda sobre un fondo liso.',
    'desk.showResolved': 'Mostrar pedidos resueltos', 'desk.noPlace': '{n} pedido(s) sin ubicación (solo en la lista).',
    'desk.pin': 'Pedido de ayuda de {phone}, {state}', 'desk.pinHigh': 'coincidencia vigilada',
    'desk.s.open': 'abierto', 'desk.s.acknowledged': 'confirmado', 'desk.s.resolved': 'resuelto',
    'desk.legendHigh': 'abierto, coincidencia vigilada', 'desk.area': 'zona del incidente',
    'desk.selected': 'Pedido seleccionado',
    'desk.select': 'Elija un marcador en el mapa (o llegue a él con Tab y pulse Intro) para abrir el pedido y sus mensajes.',
    'desk.people': 'Personas por estado', 'desk.nobody': 'Nadie en este estado.', 'desk.more': 'Se muestran los primeros {n}.', 'desk.reported': 'reportado {status} a las {time}',
    'desk.delivery': 'mensaje de texto {state}', 'desk.d.queued': 'por enviar', 'desk.d.sent': 'enviado',
    'desk.d.delivered': 'entregado', 'desk.d.undelivered': 'no entregado', 'desk.d.failed': 'fallido',
    'desk.inAreaLater': 'Las personas preguntadas por haber estado en la zona aparecen solo cuando responden.'
  }
};
Object.assign(HUB_TEXT.en, DESK_TEXT.en);
Object.assign(HUB_TEXT.es, DESK_TEXT.es);

(() => {
  const R = window.Responder;
  const $ = id => document.getElementById(id);
  const t = (k, v) => Hub.t(k, v);
  const PEOPLE = ['safe', 'need_help', 'no_answer', 'unreachable'];
  const TALLY = { safe: 'safe', need_help: 'needHelp', no_answer: 'noAnswer', unreachable: 'unreachable' };
  const NOTICE_STATES = ['draft', 'approved', 'published', 'superseded', 'cancelled', 'expired'];
  const pins = new Map(); // check-in id -> Leaflet marker
  let selected = null; // check-in id of the request opened from the map
  let shownIncident = null;
  let peopleState = 'no_answer';
  let people = null; // rows of peopleState in the running check
  let peopleKey = ''; // check id, state and that state's tally when the rows were read
  let peopleSeq = 0;
  let tilesState = 'none';

  // ---- the layout: counts on top; the queue (the console's own list, moved here), the map with the
  // selected request, the safety check's people side by side. Below 1024 px desk.css hides all but the queue.
  const title = Hub.el('h2', { id: 'desk-title' });
  const counts = Hub.el('div', { id: 'desk-counts', class: 'desk-counts' });
  const mapBox = Hub.el('div', { id: 'desk-map', role: 'region' });
  const showResolved = Hub.el('input', { type: 'checkbox', id: 'desk-show-resolved', onchange: () => renderPins() });
  const resolvedLabel = Hub.el('label', { for: 'desk-show-resolved', class: 'check' });
  const legend = Hub.el('div', { id: 'desk-legend', class: 'desk-legend' });
  const note = Hub.el('p', { id: 'desk-map-note', class: 'muted', role: 'status' });
  const panel = Hub.el('section', { id: 'desk-selected', class: 'box' });
  const peopleBox = Hub.el('section', { id: 'desk-people', class: 'box' });
  /** The desk reads one page of a state's people (safety-checks.md, Pages): a long list stays cheap while answers stream in. */
  const PEOPLE_PAGE = 1000;
  const queue = Hub.el('div', { class: 'desk-queue' });
  const desk = Hub.el('section', { id: 'desk', 'aria-labelledby': 'desk-title' }, title, counts,
    Hub.el('div', { class: 'desk-grid' }, queue,
      Hub.el('div', { class: 'desk-centre' }, mapBox, Hub.el('div', { class: 'row desk-under-map' }, legend,
        Hub.el('span', { class: 'check-wrap' }, showResolved, resolvedLabel)), note, panel),
      Hub.el('div', { class: 'desk-side' }, peopleBox)));
  const list = $('help');
  const listTitle = list.previousElementSibling;
  $('incident').after(desk);
  queue.append(listTitle, list);
  document.body.classList.add('desk');
  document.body.dataset.desk = 'ready';

  // ---- the map: Leaflet, tiles only when HUB_MAP_TILES is set (and reachable); a scale always.
  const map = L.map(mapBox, { zoomControl: false, worldCopyJump: true, keyboard: true }).setView([20, 0], 2);
  window.deskMap = map; // for the page tests and the browser console
  map.attributionControl.setPrefix('Leaflet');
  let zoom = null;
  L.control.scale({ metric: true, imperial: true }).addTo(map);
  let areaLayer = null;
  mapBox.dataset.tiles = 'none';
  Hub.config().then(cfg => {
    if (!cfg.mapTiles) { setTiles('none'); return; }
    const host = (/^https?:\/\/([^/?#]+)/i.exec(cfg.mapTiles) || [])[1] || '';
    L.tileLayer(cfg.mapTiles, {
      maxZoom: 19, subdomains: 'abc',
      // The pages send no Referer at all; tile servers such as OpenStreetMap's ask for one: only the origin.
      referrerPolicy: 'strict-origin-when-cross-origin',
      attribution: /(^|\.)openstreetmap\.org$/i.test(host) ? '© OpenStreetMap contributors' : host
    }).on('tileload', () => setTiles('loaded')).on('tileerror', () => { if (tilesState !== 'loaded') setTiles('unreachable'); })
      .addTo(map);
    setTiles('configured');
  });

  function setTiles(s) {
    tilesState = s;
    mapBox.dataset.tiles = s;
    renderNote();
  }

  function labelMap() {
    mapBox.setAttribute('aria-label', t('desk.map'));
    if (zoom) zoom.remove();
    zoom = L.control.zoom({ zoomInTitle: t('desk.zoomIn'), zoomOutTitle: t('desk.zoomOut') }).addTo(map);
    title.textContent = t('desk.title');
    resolvedLabel.textContent = t('desk.showResolved');
    const swatch = (cls, key) => Hub.el('span', { class: 'legend-item' }, Hub.el('span', { class: 'desk-pin mini ' + cls,
      'aria-hidden': 'true' }), t(key));
    legend.replaceChildren(swatch('s-open', 'desk.s.open'), swatch('s-open high', 'desk.legendHigh'),
      swatch('s-acknowledged', 'desk.s.acknowledged'), swatch('s-resolved', 'desk.s.resolved'),
      Hub.el('span', { class: 'legend-item' }, Hub.el('span', { class: 'area-swatch', 'aria-hidden': 'true' }), t('desk.area')));
  }

  function renderNote() {
    const parts = [];
    if (tilesState === 'none') parts.push(t('desk.noTiles'));
    if (tilesState === 'unreachable') parts.push(t('desk.tilesDown'));
    const unplaced = [...R.help.values()].filter(h => h.state !== 'resolved' && !h.location).length;
    if (unplaced) parts.push(t('desk.noPlace', { n: unplaced }));
    note.textContent = parts.join(' ');
  }

  function drawArea() {
    if (areaLayer) { areaLayer.remove(); areaLayer = null; }
    const inc = R.incidents.find(i => i.code === R.code());
    const a = inc && inc.area;
    if (!a) return;
    const style = { className: 'desk-area', color: '#1d4ed8', weight: 2, fillOpacity: 0.08, interactive: false };
    areaLayer = (a.type === 'circle' ? L.circle([a.lat, a.lon], Object.assign({ radius: a.radiusM }, style))
      : L.polygon(a.points, style)).addTo(map);
  }

  /** The view: the area and every marker, or what it had plus a new marker that fell outside it. */
  function fit(extendOnly) {
    const points = [...pins.values()].map(m => m.getLatLng());
    let b = extendOnly ? map.getBounds() : (areaLayer ? areaLayer.getBounds() : null);
    if (extendOnly && points.every(p => b.contains(p))) return;
    if (points.length) b = b ? L.latLngBounds(b.getSouthWest(), b.getNorthEast()).extend(L.latLngBounds(points)) : L.latLngBounds(points);
    if (b && b.isValid()) map.fitBounds(extendOnly ? b : b.pad(0.15), { maxZoom: 15, animate: false });
  }

  function pinIcon(h) {
    const high = h.priority === 'high' && h.state !== 'resolved';
    const glyph = h.state === 'acknowledged' ? '✓' : h.state === 'resolved' ? '·' : high ? '!' : '';
    return L.divIcon({ className: 'desk-pin s-' + h.state + (high ? ' high' : ''), iconSize: high ? [30, 30] : [24, 24],
      html: '<span aria-hidden="true">' + glyph + '</span>' });
  }

  function describe(m, h) {
    const el = m.getElement();
    if (!el) return;
    const label = t('desk.pin', { phone: h.phone, state: t('desk.s.' + h.state) })
      + (h.priority === 'high' && h.state !== 'resolved' ? ', ' + t('desk.pinHigh') : '');
    el.dataset.id = h.id;
    el.dataset.state = h.state;
    el.dataset.priority = h.priority || 'normal';
    el.setAttribute('aria-label', label);
    el.title = label;
    el.classList.toggle('selected', h.id === selected);
  }

  /** Markers for the requests that shared a location: added, restyled when their state changes, removed. */
  function renderPins() {
    const wanted = new Set();
    let added = false;
    for (const h of R.help.values()) {
      if (!h.location || (h.state === 'resolved' && !showResolved.checked)) continue;
      wanted.add(h.id);
      const look = h.state + '/' + (h.priority || 'normal');
      let m = pins.get(h.id);
      if (!m) {
        const id = h.id;
        m = L.marker([h.location.lat, h.location.lon], { icon: pinIcon(h), keyboard: true, riseOnHover: true })
          .on('click', () => select(id))
          // role=button (Leaflet's): Enter or Space opens it too, as a button would.
          .on('keydown', e => {
            if (e.originalEvent.key === 'Enter' || e.originalEvent.key === ' ') { e.originalEvent.preventDefault(); select(id); }
          }).addTo(map);
        m.look = look;
        pins.set(id, m);
        added = true;
      } else if (m.look !== look) {
        m.setIcon(pinIcon(h));
        m.look = look;
      }
      m.setZIndexOffset(h.state === 'open' ? (h.priority === 'high' ? 2000 : 1000) : 0);
      describe(m, h);
    }
    for (const [id, m] of pins) if (!wanted.has(id)) { m.remove(); pins.delete(id); }
    mapBox.dataset.pins = String(pins.size);
    if (added) fit(true);
  }

  async function select(id) {
    selected = id;
    renderPins();
    renderPanel();
    const heading = $('desk-selected-title');
    if (heading) heading.focus();
    await R.openThread(id); // loads the thread; the 'help' change that follows shows it
  }

  function renderPanel() {
    // Keep what the responder is typing to the person across live re-renders.
    const typing = panel.querySelector('.thread-send input');
    const kept = typing ? typing.value : '';
    const focused = typing && document.activeElement === typing;
    const h = selected && R.help.get(selected);
    panel.replaceChildren(Hub.el('h3', { id: 'desk-selected-title', tabindex: '-1' }, t('desk.selected')));
    panel.dataset.id = h ? h.id : '';
    if (!h) { panel.append(Hub.el('p', { class: 'muted' }, t('desk.select'))); return; }
    panel.append(Hub.el('ul', { class: 'plain' }, R.helpItem(h)));
    const input = panel.querySelector('.thread-send input');
    if (input && kept) input.value = kept;
    if (input && focused) input.focus();
  }

  function runningCheck() {
    return [...R.checks.values()].find(c => c.state === 'running') || null;
  }

  function tile(key, value, label) {
    return Hub.el('div', { class: 'tile', 'data-count': key }, Hub.el('span', { class: 'n' }, String(value)),
      Hub.el('span', { class: 'l' }, t(label)));
  }

  function group(key, ...tiles) {
    return Hub.el('div', { class: 'tile-group', role: 'group', 'aria-label': t(key) }, Hub.el('h3', null, t(key)),
      Hub.el('div', { class: 'tiles' }, ...tiles));
  }

  function renderCounts() {
    const all = [...R.help.values()];
    const n = s => all.filter(h => h.state === s).length;
    const high = all.filter(h => h.state !== 'resolved' && h.priority === 'high').length;
    const c = runningCheck();
    const tallies = c && c.tallies;
    const ns = s => R.notices.filter(x => x.state === s).length;
    counts.replaceChildren(
      group('desk.help', tile('open', n('open'), 'desk.open'), tile('acknowledged', n('acknowledged'), 'desk.acknowledged'),
        tile('resolved', n('resolved'), 'desk.resolved'), tile('high', high, 'desk.high')),
      group('desk.check', ...(tallies ? PEOPLE.map(s => tile('sc-' + s, tallies[TALLY[s]], 'desk.' + s))
        : [Hub.el('p', { class: 'muted' }, t('desk.noCheck'))])),
      group('desk.notices', ...NOTICE_STATES.filter(s => ['draft', 'published'].includes(s) || ns(s) > 0)
        .map(s => tile('n-' + s, ns(s), 'desk.n.' + s))));
  }

  /** The running check's people in the chosen state: read again only when that state's tally moved. */
  async function loadPeople() {
    const c = runningCheck();
    if (!c) { people = null; peopleKey = ''; renderPeople(); return; }
    if (!c.tallies) {
      // A check listed before it ran has no tallies yet: read it once (its tally frames follow).
      try { Object.assign(c, await Hub.api('GET', '/api/v1/safety-checks/' + c.id, undefined, R.token())); } catch (e) { R.fail(e); return; }
      renderCounts();
    }
    const key = c.id + '/' + peopleState + '/' + c.tallies[TALLY[peopleState]];
    if (key === peopleKey) return;
    peopleKey = key;
    const seq = ++peopleSeq;
    try {
      const rows = await Hub.api('GET', '/api/v1/safety-checks/' + c.id + '/people?state=' + peopleState + '&limit=' + PEOPLE_PAGE, undefined, R.token());
      if (seq !== peopleSeq) return;
      people = rows;
    } catch (e) { R.fail(e); peopleKey = ''; }
    renderPeople();
  }

  /** Twilio's delivery state in the page's language ('desk.d.' + state), or as the hub wrote it. */
  function deliveryWord(state) {
    return HUB_TEXT.en['desk.d.' + state] ? t('desk.d.' + state) : String(state);
  }

  function renderPeople() {
    const c = runningCheck();
    // A live re-render must not take the keyboard focus away from the state buttons.
    const focused = peopleBox.contains(document.activeElement) && document.activeElement.dataset.state;
    peopleBox.replaceChildren(Hub.el('h3', null, t('desk.people')));
    if (!c) { peopleBox.append(Hub.el('p', { class: 'muted' }, t('desk.noCheck'))); return; }
    peopleBox.dataset.check = c.id;
    peopleBox.append(Hub.el('p', { class: 'note' }, c.question),
      Hub.el('div', { class: 'people-states', role: 'group', 'aria-label': t('desk.people') }, ...PEOPLE.map(s =>
        Hub.el('button', { type: 'button', class: 'secondary', 'data-state': s, 'aria-pressed': String(s === peopleState),
          onclick: () => { peopleState = s; people = null; renderPeople(); loadPeople(); } },
        t('desk.' + s) + ' ' + (c.tallies ? c.tallies[TALLY[s]] : '')))));
    const ul = Hub.el('ul', { class: 'plain', id: 'desk-people-list', 'data-state': peopleState, 'aria-live': 'polite' });
    if (people && !people.length) ul.append(Hub.el('li', { class: 'muted' }, t('desk.nobody')));
    for (const p of people || []) {
      ul.append(Hub.el('li', { 'data-phone': p.phone },
        Hub.el('div', { class: 'row' }, Hub.el('b', null, p.phone), p.at ? Hub.el('span', { class: 'muted' }, Hub.when(p.at)) : null),
        p.delivery ? Hub.el('span', { class: 'muted' }, t('desk.delivery', { state: deliveryWord(p.delivery.status || p.delivery) })) : null,
        p.report ? Hub.el('p', { class: 'muted' }, t('desk.reported', { status: t('status.' + p.report.status),
          time: Hub.time(p.report.at) })) : null));
    }
    peopleBox.append(ul);
    if (people && people.length >= PEOPLE_PAGE) peopleBox.append(Hub.el('p', { class: 'muted', id: 'desk-people-more' }, t('desk.more', { n: PEOPLE_PAGE })));
    if (focused) peopleBox.querySelector('button[data-state="' + focused + '"]').focus();
    if (peopleState !== 'safe' && peopleState !== 'need_help') peopleBox.append(Hub.el('p', { class: 'muted' }, t('desk.inAreaLater')));
  }

  function onIncident() {
    if (shownIncident !== R.code()) {
      shownIncident = R.code();
      selected = null;
      for (const m of pins.values()) m.remove();
      pins.clear();
      people = null;
      peopleKey = '';
      drawArea();
      renderPins();
      fit(false);
    }
    renderAll();
  }

  function renderAll() {
    renderPins();
    renderCounts();
    renderPanel();
    renderNote();
    renderPeople();
    loadPeople();
  }

  document.addEventListener('resp:change', ev => {
    const what = ev.detail.what;
    if (what === 'incident') onIncident();
    else if (what === 'help') { renderPins(); renderCounts(); renderPanel(); renderNote(); }
    else if (what === 'checks') { renderCounts(); renderPeople(); loadPeople(); }
    else if (what === 'notices') renderCounts();
  });
  document.addEventListener('hub:lang', () => { labelMap(); renderAll(); for (const [id, m] of pins) describe(m, R.help.get(id)); });
  // Leaflet measures its box once: measure again whenever it changes size (the console shown after the log-in,
  // the window resized, the layout back at desk width), then show the incident's area and markers again.
  let measured = false;
  new ResizeObserver(() => {
    if (!mapBox.clientWidth) return;
    map.invalidateSize({ animate: false });
    if (!measured) { measured = true; fit(false); }
  }).observe(mapBox);

  labelMap();
  if (R.code()) onIncident(); else renderAll();
})();
