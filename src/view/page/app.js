// ipc-lab live view: draws each snapshot the view sends on /events (Server-Sent Events).
//
// Plain browser JavaScript, no library and no build step: the view serves this file as it is.
// Everything from a segment (its strings may hold anything) reaches the page through
// textContent, never as HTML. ?projector=1 starts in projector mode, ?lab=race shows that lab
// there; the Projector button (or the p key) switches.
'use strict';

const PALETTE = 12; // field colours, c0..c11 in style.css
const params = new URLSearchParams(location.search);
const main = document.getElementById('labs');
const status = document.getElementById('status');
const absent = document.getElementById('absent');
const projectorButton = document.getElementById('projector');

/** What the page remembers of a segment between snapshots: its bytes, when each field arrived, the states it went through. */
const memory = new Map();
/** The last picture of each race and ring, kept on screen for a while once it ends: its final counts are the point. */
const ended = new Map();
const KEEP_ENDED_MS = 60_000;
/** How long a changed byte stays marked in the map. */
const FRESH_MS = 1500;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const svg = (tag, attrs) => {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
};

function age(iso, now) {
  if (!iso) return 'never';
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  const text = s < 60 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h`;
  return `${new Date(iso).toLocaleTimeString()} (${text} ago)`;
}

function rate(bytesPerSecond) {
  if (bytesPerSecond === null || bytesPerSecond === undefined) return 'measuring…';
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
  let v = bytesPerSecond;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

const proc = (ref) => (ref.pid === 0 ? `0 · ${ref.name}` : `${ref.pid} · ${ref.name}`);

function facts(rows) {
  const dl = h('dl', { class: 'facts' });
  for (const [term, value, attrs] of rows) dl.append(h('dt', { text: term }), h('dd', { text: value, ...(attrs ?? {}) }));
  return dl;
}

/** The segment's IPC_STAT, as the kernel keeps it (read before any attach of this view changed it, or with it counted). */
function statBlock(lab, seg, now) {
  const parts = lab.keyParts;
  const key = parts
    ? `${lab.key} = proj_id 0x${parts.projectId.toString(16).padStart(2, '0')} | dev 0x${parts.deviceByte.toString(16).padStart(2, '0')} | inode 0x${parts.inodeBits.toString(16).padStart(4, '0')}`
    : lab.key;
  const nattch = `${seg.nattch}${seg.viewAttached ? ' (one is this view)' : ''}`;
  return h(
    'section',
    { class: 'stat' },
    h('h3', { text: `IPC_STAT · shmid ${seg.shmid}${seg.markedForRemoval ? ' · removed (IPC_RMID), going at the last detach' : ''}` }),
    facts([
      ['key', key, { 'data-stat': 'key' }],
      ['size', `${seg.size} bytes`],
      ['mode', `${seg.mode} ${seg.rwx}, uid ${seg.uid}, gid ${seg.gid}`],
      ['nattch', nattch, { 'data-stat': 'nattch' }],
      ['cpid', proc(seg.cpid), { 'data-stat': 'cpid' }],
      ['lpid', proc(seg.lpid), { 'data-stat': 'lpid' }],
      ['atime', age(seg.atime, now)],
      ['dtime', age(seg.dtime, now)],
      ['ctime', age(seg.ctime, now)],
    ]),
    seg.waiting ? h('p', { class: 'note', text: seg.waiting }) : null,
  );
}

function semaphoreBlock(sems) {
  const table = h(
    'table',
    { class: 'sems' },
    h('thead', {}, h('tr', {}, ...['#', 'name', 'value', 'wait > 0 (GETNCNT)', 'wait = 0 (GETZCNT)', 'last semop (GETPID)'].map((t) => h('th', { text: t })))),
  );
  const body = h('tbody');
  if (sems.problem) return h('section', { class: 'semaphores' }, h('h3', { text: 'semaphore set' }), h('p', { class: 'rejected', text: sems.problem }));
  for (const s of sems.semaphores) {
    body.append(
      h(
        'tr',
        { 'data-sem': s.name },
        h('td', { text: s.num }),
        h('td', { text: s.name }),
        h('td', { class: 'big', text: s.value, 'data-value': s.value }),
        h('td', { class: s.waitingToTake > 0 ? 'waiting' : '', text: s.waitingToTake }),
        h('td', { text: s.waitingForZero }),
        h('td', { text: proc(s.lastPid) }),
      ),
    );
  }
  table.append(body);
  return h('section', { class: 'semaphores' }, h('h3', { text: `semaphore set ${sems.semid} · mode ${sems.mode} · GETALL` }), table);
}

/** Which fields' bytes changed from all-zero, in the order they did: the server's writes, as they land. */
function track(lab, seg, map, now, namespace) {
  // A new segment, even under the same shmid (make up makes a new namespace, whose first id is 0 again).
  const identity = `${namespace} ${seg.shmid} ${seg.ctime}`;
  let m = memory.get(lab.lab);
  if (!m || m.identity !== identity) {
    m = { identity, hex: '', since: now, arrivals: [], arrived: new Set(), states: [], changedAt: [] };
    memory.set(lab.lab, m);
  }
  for (const r of map.regions) {
    if (r.kind !== 'field' || m.arrived.has(`${r.struct}.${r.field}`)) continue;
    const hex = map.hex.slice(2 * r.offset, 2 * (r.offset + r.size));
    if (hex.length > 0 && /[^0]/.test(hex)) {
      m.arrived.add(`${r.struct}.${r.field}`);
      m.arrivals.push({ field: `${r.struct}.${r.field}`, at: now - m.since });
    }
  }
  if (map.state !== null && m.states[m.states.length - 1] !== map.state) m.states.push(map.state);
  if (m.hex !== '')
    for (let i = 0; i < map.hex.length / 2; i++) if (m.hex.slice(2 * i, 2 * i + 2) !== map.hex.slice(2 * i, 2 * i + 2)) m.changedAt[i] = now;
  m.hex = map.hex;
  return m;
}

/** 16 bytes a row, each byte in its field's colour, padding hatched, runs of unused zero rows folded. */
function memoryMap(map, changedAt, now) {
  const owner = new Array(map.hex.length / 2);
  let colour = 0;
  for (const r of map.regions) {
    const cls = r.kind === 'field' ? `c${colour++ % PALETTE}` : r.kind === 'padding' ? 'pad' : 'unused';
    for (let i = r.offset; i < r.offset + r.size && i < owner.length; i++) owner[i] = { cls, r };
  }
  const grid = h('div', { class: 'map', role: 'img', 'aria-label': `memory map of ${map.size} bytes` });
  const rows = Math.ceil(owner.length / 16);
  const zeroRow = (row) => {
    for (let i = row * 16; i < Math.min(owner.length, row * 16 + 16); i++)
      if (owner[i]?.cls !== 'unused' || map.hex.slice(2 * i, 2 * i + 2) !== '00') return false;
    return true;
  };
  for (let row = 0; row < rows; row++) {
    if (zeroRow(row) && row + 1 < rows && zeroRow(row + 1)) {
      let end = row;
      while (end + 1 < rows && zeroRow(end + 1)) end++;
      const bytes = Math.min(owner.length, (end + 1) * 16) - row * 16;
      grid.append(
        h('div', { class: 'row folded' }, h('span', { class: 'addr', text: hex4(row * 16) }), h('span', { text: `… ${bytes} unused bytes, all zero, folded …` })),
      );
      row = end;
      continue;
    }
    const line = h('div', { class: 'row' }, h('span', { class: 'addr', text: hex4(row * 16) }));
    for (let i = row * 16; i < Math.min(owner.length, row * 16 + 16); i++) {
      const byte = map.hex.slice(2 * i, 2 * i + 2);
      const o = owner[i];
      const fresh = now - (changedAt[i] ?? -Infinity) < FRESH_MS ? ' fresh' : '';
      line.append(h('span', { class: `byte ${o?.cls ?? 'unused'}${fresh}`, text: byte, title: o?.r.field ? `${o.r.ctype} @ ${o.r.offset}` : o?.r.kind }));
    }
    grid.append(line);
  }
  if (map.size > owner.length) grid.append(h('div', { class: 'row folded', text: `the first ${owner.length} of ${map.size} bytes` }));
  return grid;
}

const hex4 = (n) => `0x${n.toString(16).padStart(4, '0')}`;

function legend(map) {
  const table = h('table', { class: 'legend' }, h('thead', {}, h('tr', {}, ...['', 'field', 'C type', 'offset', 'size', 'value'].map((t) => h('th', { text: t })))));
  const body = h('tbody');
  let colour = 0;
  for (const r of map.regions) {
    if (r.kind === 'unused') continue;
    const cls = r.kind === 'field' ? `c${colour++ % PALETTE}` : 'pad';
    const name = r.kind === 'field' ? `${r.struct}.${r.field}` : `padding (${r.struct})`;
    const value = r.kind === 'field' ? String(r.value) : `${r.size} byte${r.size === 1 ? '' : 's'} the compiler adds`;
    body.append(
      h(
        'tr',
        { 'data-field': r.kind === 'field' ? name : null },
        h('td', {}, h('span', { class: `swatch ${cls}` })),
        h('td', { text: name }),
        h('td', { text: r.ctype ?? '' }),
        h('td', { text: r.offset }),
        h('td', { text: r.size }),
        h('td', { class: 'value', text: value }),
      ),
    );
  }
  table.append(body);
  return table;
}

function messageCard(lab, seg, now, namespace) {
  const map = seg.decoded?.map;
  const card = h('article', { class: 'card lab-map', 'data-lab': lab.lab });
  card.append(h('h2', { text: `${lab.lab} · ${lab.summary}` }));
  if (!map) return card;
  const m = track(lab, seg, map, now, namespace);
  const states = map.states ?? [];
  // shmget hands out zero-filled memory: every segment starts at state 0, seen or not.
  const path = m.states[0] === 0 || m.states.length === 0 ? m.states : [0, ...m.states];
  const stateText = path.map((s) => `${s} ${states[s] ?? ''}`.trim()).join(' → ');
  const unseen = m.states.length > 0 && m.states[0] !== 0 ? h('span', { class: 'hint', text: ' (0: as shmget made it, zero-filled)' }) : null;
  card.append(
    h(
      'div',
      { class: 'split' },
      memoryMap(map, m.changedAt, now),
      h(
        'div',
        {},
        h('p', { class: `verdict ${map.valid ? 'good' : 'bad'}`, text: map.verdict }),
        h('p', { class: 'states', 'data-states': m.states.join(',') }, `state ${stateText || '—'}`, unseen),
        legend(map),
        h(
          'ol',
          { class: 'arrivals', 'aria-label': 'fields in the order their bytes arrived' },
          ...m.arrivals.map((a) => h('li', { 'data-field': a.field, 'data-at': a.at, text: `${a.field} +${(a.at / 1000).toFixed(1)} s` })),
        ),
      ),
    ),
  );
  return card;
}

function raceCard(lab, seg) {
  const race = seg.decoded.race;
  const share = race.reads === 0 ? 0 : (100 * race.torn) / race.reads;
  const card = h('article', { class: 'card lab-race', 'data-lab': lab.lab });
  card.append(h('h2', { text: `race · ${lab.summary}` }));
  card.append(
    h(
      'div',
      { class: 'counters' },
      h('div', { class: 'counter' }, h('span', { class: 'n', 'data-race': 'reads', 'data-value': race.reads, text: race.reads.toLocaleString('en') }), h('span', { text: 'reads' })),
      h(
        'div',
        { class: `counter ${race.torn > 0 ? 'bad' : 'good'}` },
        h('span', { class: 'n', 'data-race': 'torn', 'data-value': race.torn, text: race.torn.toLocaleString('en') }),
        h('span', { text: `torn (${share.toFixed(2)} %)` }),
      ),
    ),
  );
  if (race.torn === 0) {
    card.append(
      h('p', {
        class: 'note',
        text: 'no torn read so far: with the lock (make race) there never is one; without it (UNSAFE=1) the first comes soon, sooner on two CPUs',
      }),
    );
    return card;
  }
  const newest = Math.max(...race.lastTorn);
  const grid = h('div', { class: 'fields', 'aria-label': 'the last torn read, field by field' });
  race.lastTorn.forEach((v, i) => grid.append(h('span', { class: v === newest ? 'new' : 'old', title: `field ${i}`, text: v })));
  card.append(
    h('h3', { text: 'the last torn read, its 63 fields as the reader copied them' }),
    grid,
    h('p', { class: 'key' }, h('span', { class: 'new', text: `${newest}: the write in progress` }), ' ', h('span', { class: 'old', text: 'older: the record it was overwriting' })),
  );
  return card;
}

function ringCard(lab, seg) {
  const ring = seg.decoded.ring;
  const flow = lab.ring;
  const card = h('article', { class: 'card lab-ring', 'data-lab': lab.lab });
  card.append(h('h2', { text: `${lab.lab} · ${ring.design} design · ${ring.slots} slots of ${ring.slotSize} bytes` }));
  const size = 300;
  const c = size / 2;
  const outer = c - 34;
  const inner = outer - 42;
  const drawing = svg('svg', { viewBox: `0 0 ${size} ${size}`, class: 'ring', role: 'img', 'aria-label': 'the ring, slot by slot' });
  const point = (angle, r) => [c + r * Math.sin(angle), c - r * Math.cos(angle)];
  const step = (2 * Math.PI) / ring.slots;
  for (let i = 0; i < ring.slots; i++) {
    const a0 = i * step + 0.02;
    const a1 = (i + 1) * step - 0.02;
    const [x0, y0] = point(a0, outer);
    const [x1, y1] = point(a1, outer);
    const [x2, y2] = point(a1, inner);
    const [x3, y3] = point(a0, inner);
    const large = a1 - a0 > Math.PI ? 1 : 0;
    drawing.append(
      svg('path', {
        d: `M${x0},${y0} A${outer},${outer} 0 ${large} 1 ${x1},${y1} L${x2},${y2} A${inner},${inner} 0 ${large} 0 ${x3},${y3} Z`,
        class: flow?.full[i] ? 'slot full' : 'slot empty',
        'data-slot': i,
      }),
    );
  }
  const marker = (at, text, cls, r) => {
    const [x, y] = point((at + 0.5) * step, r);
    const g = svg('g', { class: `marker ${cls}` });
    g.append(svg('circle', { cx: x, cy: y, r: 14 }));
    const t = svg('text', { x, y: y + 5, 'text-anchor': 'middle' });
    t.textContent = text;
    g.append(t);
    drawing.append(g);
  };
  if (flow) {
    marker(flow.producerAt, 'P', 'producer', outer + 18);
    marker(flow.consumerAt, 'C', 'consumer', inner - 18);
  }
  const filled = flow ? flow.full.filter(Boolean).length : 0;
  const info = facts([
    ...(flow ? flow.counts.map((k) => [k.name, String(k.value), { 'data-count': k.name }]) : []),
    ['slots full', `${filled} of ${ring.slots}`, { 'data-ring': 'full' }],
    ['producer', flow ? `message ${flow.produced} next, at slot ${flow.producerAt}` : '—'],
    ['consumer', flow ? `message ${flow.consumed} next, at slot ${flow.consumerAt}` : '—'],
    ['rate', flow ? rate(flow.bytesPerSecond) : '—', { 'data-ring': 'rate' }],
    ['stream', ring.ended ? `ended: ${ring.totalBytes.toLocaleString('en')} bytes, SHA-256 written` : 'running'],
  ]);
  card.append(h('div', { class: 'split' }, drawing, info));
  return card;
}

function queueCard(lab) {
  const q = lab.queue;
  return h(
    'article',
    { class: 'card lab-queue', 'data-lab': lab.lab },
    h('h2', { text: `${lab.lab} · ${lab.summary}` }),
    facts([
      ['queue', `msqid ${q.msqid}, key ${lab.key}, mode ${q.mode}`],
      ['messages', `${q.messages} (${q.bytes} of ${q.maxBytes} bytes)`, { 'data-queue': 'messages' }],
      ['last msgsnd', proc(q.lastSender)],
      ['last msgrcv', proc(q.lastReceiver)],
    ]),
  );
}

/** The lab that projector mode shows: the one asked for, else the busiest that runs. */
function focusOf(labs) {
  const asked = params.get('lab');
  if (asked && labs.some((l) => l.lab === asked)) return asked;
  // A lab that runs, or one that has just ended (its last picture stays on the wall a while).
  const running = (name) =>
    labs.find((l) => l.lab === name && (l.segment || l.queue)) ?? (Date.now() - (ended.get(name)?.at ?? -Infinity) < KEEP_ENDED_MS ? { lab: name } : undefined);
  return (running('ring-batched') ?? running('ring') ?? running('race') ?? running('queue') ?? running('message') ?? labs[0])?.lab;
}

function render(snapshot) {
  const now = snapshot.at;
  const focus = focusOf(snapshot.labs);
  const cards = [];
  const idle = [];
  for (const lab of snapshot.labs) {
    const seg = lab.segment;
    let card = null;
    if (seg) {
      const d = seg.decoded;
      card = d?.race ? raceCard(lab, seg) : d?.ring ? ringCard(lab, seg) : messageCard(lab, seg, now, snapshot.namespace);
      if (d?.race || d?.ring) ended.set(lab.lab, { lab, at: now });
      if (d && d.rejected.length > 0) card.append(h('ul', { class: 'rejected' }, ...d.rejected.map((r) => h('li', { text: `not drawn: ${r}` }))));
      card.append(statBlock(lab, seg, now));
      if (lab.semaphores) card.append(semaphoreBlock(lab.semaphores));
    } else if (lab.queue) {
      card = queueCard(lab);
    } else if (lab.semaphores) {
      card = h('article', { class: 'card', 'data-lab': lab.lab }, h('h2', { text: `${lab.lab} · ${lab.summary}` }), semaphoreBlock(lab.semaphores));
    } else if (ended.has(lab.lab) && now - ended.get(lab.lab).at < KEEP_ENDED_MS) {
      // The lab removed its objects: its last picture stays a minute, greyed, so the room can read the end.
      const last = ended.get(lab.lab);
      const seg = last.lab.segment;
      card = seg.decoded.race ? raceCard(last.lab, seg) : ringCard(last.lab, seg);
      card.classList.add('ended');
      card.prepend(h('p', { class: 'ended-note', text: `ended at ${new Date(last.at).toLocaleTimeString()}: its objects are removed; this is the last the view saw` }));
    } else {
      ended.delete(lab.lab);
      idle.push(`${lab.lab}: ${lab.note ?? 'not running'}`);
      memory.delete(lab.lab);
    }
    if (card) {
      if (lab.lab === focus) card.classList.add('focus');
      cards.push(card);
    }
  }
  if (cards.length === 0)
    cards.push(h('article', { class: 'card focus empty' }, h('h2', { text: 'nothing to show yet' }), h('p', { text: 'start a lab: make up, make race, make ring' })));
  main.replaceChildren(...cards);
  absent.textContent = idle.length > 0 ? `Not running: ${idle.join(' · ')}` : '';
  status.textContent = `live · IPC namespace ${snapshot.namespace} · ${new Date(now).toLocaleTimeString()}`;
  status.className = 'status live';
}

function setProjector(on) {
  document.body.classList.toggle('projector', on);
  projectorButton.setAttribute('aria-pressed', String(on));
}
projectorButton.addEventListener('click', () => setProjector(!document.body.classList.contains('projector')));
document.addEventListener('keydown', (e) => {
  if (e.key === 'p' && !e.ctrlKey && !e.metaKey && !e.altKey) setProjector(!document.body.classList.contains('projector'));
});
setProjector(params.get('projector') === '1');

// EventSource reconnects by itself after a dropped stream, but gives up for good when a reconnect
// gets an error answer (make up recreates the view, and its port may answer before the view
// does): then a new one, a second later.
function connect() {
  const events = new EventSource('/events');
  events.onmessage = (e) => {
    const snapshot = JSON.parse(e.data);
    if (snapshot.labs) render(snapshot);
  };
  events.onerror = () => {
    status.textContent = 'the view is not answering (stopped, or restarting with the lab): trying again…';
    status.className = 'status lost';
    if (events.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
  };
}
connect();
