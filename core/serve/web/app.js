// sluice's live page: what Spark's Structured Streaming tab shows, per query,
// from GET /progress (the last 100 progress records), GET /plan and the
// memory tables. Charts are hand-written SVG: the page needs a line chart
// and stacked bars, which take less code here than a vendored library would
// weigh, and nothing is fetched from outside the binary.
'use strict';

const POLL_MS = 1000;        // /progress while the server answers
const RETRY_MS = 3000;       // after it stopped answering
const TABLES_EVERY = 3;      // polls between two reads of the memory tables
const TABLE_ROWS = 20;
const IDLE_AFTER_MS = 5000;  // no new batch for this long: the stream is idle

// ---- numbers ---------------------------------------------------------------

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmtCount(v) {
  if (v == null || !isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(2) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  return a < 10 && v !== Math.round(v) ? v.toFixed(1) : intFormat.format(v);
}

function fmtBytes(v) {
  if (v == null || !isFinite(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i ? v.toFixed(1) : String(Math.round(v))) + ' ' + units[i];
}

function fmtMs(v) {
  if (v == null || !isFinite(v)) return '–';
  return v >= 10000 ? (v / 1000).toFixed(1) + ' s' : intFormat.format(v) + ' ms';
}

function fmtSeconds(v) {
  if (v == null || !isFinite(v)) return '–';
  return Math.abs(v) >= 3600 ? (v / 3600).toFixed(1) + ' h' : Math.abs(v) >= 120 ? (v / 60).toFixed(1) + ' min'
       : v.toFixed(1) + ' s';
}

function fmtClock(ms) {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

const sum = (xs, f) => (xs || []).reduce((s, x) => s + (f(x) || 0), 0);

// ---- what each record says -------------------------------------------------

// The figures of one progress record the tiles and charts show.
function facts(r) {
  const d = r.durationMs || {}, w = r.workMs || {}, ops = r.stateOperators || [];
  const et = r.eventTime;
  // Spark reports the watermark as the epoch until the first one is set.
  const watermark = et && et.watermark && Date.parse(et.watermark) > 0 ? Date.parse(et.watermark) : null;
  const maxEvent = et && et.max ? Date.parse(et.max) : null;
  return {
    batchId: r.batchId,
    inputRowsPerSecond: r.inputRowsPerSecond,
    processedRowsPerSecond: r.processedRowsPerSecond,
    numInputRows: r.numInputRows,
    duration: d.triggerExecution,
    read: w.read, transform: w.transform, aggregate: w.aggregate, sink: w.sink,
    checkpoint: (d.walCommit || 0) + (d.commitOffsets || 0),
    stateRows: ops.length ? sum(ops, o => o.numRowsTotal) : null,
    stateBytes: ops.length ? sum(ops, o => o.memoryUsedBytes) : null,
    lateRows: ops.length ? sum(ops, o => o.numRowsDroppedByWatermark) : null,
    malformedRows: sum(r.sources, s => s.numMalformedRows),
    watermark,
    maxEvent,
    watermarkLagSeconds: null, // from the latest event time seen so far: QueryCard.render
  };
}

// ---- SVG -------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}

function el(name, attrs, parent, text) {
  const e = document.createElement(name);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// Up to about `count` round tick values from 0 to at least `max`; whole
// numbers only for series of whole numbers (rows, milliseconds, bytes).
function ticks(max, count, whole) {
  if (!(max > 0)) return [0, 1];
  const raw = Math.max(max / count, whole ? 1 : 0), mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw);
  const out = [];
  for (let v = 0; v < max + step * 0.999; v += step) out.push(v);
  return out;
}

const W = 480, H = 170, L = 58, R = 8, T = 8, B = 22;
const tooltip = () => document.getElementById('tooltip');

// One chart: series of {key, label, color, kind: 'line'|'bar'} over a list
// of fact rows; bars stack, lines draw over them.
class Chart {
  constructor(parent, title, series, format, { note, whole = true } = {}) {
    this.series = series;
    this.format = format;
    this.whole = whole;
    this.box = el('div', { class: 'chart', 'data-chart': title }, parent);
    el('h3', {}, this.box, title);
    const legend = el('div', { class: 'legend' }, this.box);
    for (const s of series) {
      const item = el('span', {}, legend);
      el('i', { style: `background:${s.color}` }, item);
      item.appendChild(document.createTextNode(s.label));
    }
    this.svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title }, this.box);
    if (note) el('div', { class: 'note' }, this.box, note);
    this.svg.addEventListener('mousemove', e => this.hover(e));
    this.svg.addEventListener('mouseleave', () => { tooltip().hidden = true; this.cursor && this.cursor.remove(); });
    this.rows = [];
  }

  update(rows) {
    this.rows = rows;
    const svg = this.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const n = rows.length, pw = W - L - R, ph = H - T - B;
    const bars = this.series.filter(s => s.kind === 'bar'), lines = this.series.filter(s => s.kind === 'line');
    let max = 0;
    for (const r of rows) {
      max = Math.max(max, sum(bars, s => r[s.key]));
      for (const s of lines) if (r[s.key] != null && isFinite(r[s.key])) max = Math.max(max, r[s.key]);
    }
    const ts = ticks(max, 4, this.whole), top = ts[ts.length - 1];
    const y = v => T + ph - (v / top) * ph;
    this.band = n ? pw / n : pw;
    const x = i => L + this.band * (i + 0.5);
    for (const t of ts) {
      svgEl('line', { class: 'grid', x1: L, x2: W - R, y1: y(t), y2: y(t) }, svg);
      svgEl('text', { x: L - 4, y: y(t) + 3, 'text-anchor': 'end' }, svg).textContent = this.format(t);
    }
    if (n) {
      svgEl('text', { x: L, y: H - 6 }, svg).textContent = 'batch ' + rows[0].batchId;
      svgEl('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, svg).textContent = 'batch ' + rows[n - 1].batchId;
    }
    const bw = Math.max(1, this.band * 0.8);
    rows.forEach((r, i) => {
      let base = 0;
      for (const s of bars) {
        const v = r[s.key] || 0;
        if (v > 0) svgEl('rect', { x: x(i) - bw / 2, y: y(base + v), width: bw, height: y(base) - y(base + v), fill: s.color }, svg);
        base += v;
      }
    });
    for (const s of lines) {
      let d = '', pen = 'M';
      rows.forEach((r, i) => {
        const v = r[s.key];
        if (v == null || !isFinite(v)) { pen = 'M'; return; }
        d += `${pen}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        pen = 'L';
      });
      svgEl('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.6 }, svg);
      if (n === 1 && rows[0][s.key] != null) svgEl('circle', { cx: x(0), cy: y(rows[0][s.key]), r: 2.5, fill: s.color }, svg);
    }
    // What the test (and a curious reader of the DOM) compares with /progress.
    svg.dataset.points = String(n);
    svg.dataset.lastBatch = n ? String(rows[n - 1].batchId) : '';
  }

  hover(e) {
    const n = this.rows.length;
    if (!n) return;
    const box = this.svg.getBoundingClientRect();
    const vx = (e.clientX - box.left) * (W / box.width);
    const i = Math.min(n - 1, Math.max(0, Math.floor((vx - L) / this.band)));
    const r = this.rows[i], cx = L + this.band * (i + 0.5);
    if (this.cursor) this.cursor.remove();
    this.cursor = svgEl('line', { class: 'cursor', x1: cx, x2: cx, y1: T, y2: H - B }, this.svg);
    const tip = tooltip();
    tip.textContent = '';
    el('b', {}, tip, 'batch ' + r.batchId);
    for (const s of this.series) {
      const line = el('div', {}, tip);
      el('i', { style: `display:inline-block;width:.6rem;height:.6rem;margin-right:.3rem;background:${s.color}` }, line);
      line.appendChild(document.createTextNode(`${s.label}: ${this.format(r[s.key])}`));
    }
    tip.hidden = false;
    tip.style.left = Math.min(e.clientX + 12, window.innerWidth - tip.offsetWidth - 8) + 'px';
    tip.style.top = (e.clientY + 12) + 'px';
  }
}

// ---- one query's card ------------------------------------------------------

const color = i => `var(--c${i})`;

const TILES = [
  ['batchId', 'batch', v => v == null ? '–' : String(v)],
  ['inputRowsPerSecond', 'input rows/s', fmtCount],
  ['processedRowsPerSecond', 'processed rows/s', fmtCount],
  ['numInputRows', 'input rows (batch)', fmtCount],
  ['duration', 'batch duration', fmtMs],
  ['stateRows', 'state rows', fmtCount],
  ['stateBytes', 'state memory', fmtBytes],
  ['watermark', 'watermark', v => v == null ? '–' : fmtClock(v)],
  ['watermarkLagSeconds', 'watermark lag', fmtSeconds],
  ['lateRowsShown', 'late rows dropped', fmtCount],
  ['malformedRowsShown', 'malformed rows', fmtCount],
];

class QueryCard {
  constructor(parent, key, record) {
    this.records = new Map(); // batchId -> facts
    this.card = el('article', { class: 'query', 'data-query': key }, parent);
    const h = el('h2', {}, this.card, record.name || 'query');
    const src = (record.sources || []).map(s => s.description).join(', ');
    if (src) el('span', {}, h, src);
    const tiles = el('div', { class: 'tiles' }, this.card);
    this.tiles = {};
    for (const [key, label] of TILES) {
      const t = el('div', { class: key === 'watermark' ? 'tile wide' : 'tile', 'data-metric': key }, tiles);
      el('div', { class: 'label' }, t, label);
      this.tiles[key] = el('div', { class: 'value' }, t, '–');
    }
    const charts = el('div', { class: 'charts' }, this.card);
    this.charts = [
      new Chart(charts, 'Rows per second', [
        { key: 'inputRowsPerSecond', label: 'input', color: color(1), kind: 'line' },
        { key: 'processedRowsPerSecond', label: 'processed', color: color(3), kind: 'line' }], fmtCount,
        { whole: false }),
      new Chart(charts, 'Input rows per batch', [
        { key: 'numInputRows', label: 'input rows', color: color(1), kind: 'bar' }], fmtCount),
      new Chart(charts, 'Batch duration', [
        { key: 'read', label: 'read', color: color(1), kind: 'bar' },
        { key: 'transform', label: 'transform', color: color(4), kind: 'bar' },
        { key: 'aggregate', label: 'aggregate', color: color(2), kind: 'bar' },
        { key: 'sink', label: 'sink', color: color(3), kind: 'bar' },
        { key: 'checkpoint', label: 'checkpoint', color: color(5), kind: 'bar' },
        { key: 'duration', label: 'batch (wall)', color: 'var(--fg)', kind: 'line' }], fmtMs,
        { note: 'read, transform, aggregate and sink are thread time summed over the workers (workMs)' }),
      new Chart(charts, 'State rows', [
        { key: 'stateRows', label: 'rows held', color: color(4), kind: 'line' }], fmtCount),
      new Chart(charts, 'State memory', [
        { key: 'stateBytes', label: 'memory', color: color(2), kind: 'line' }], fmtBytes),
      new Chart(charts, 'Watermark lag', [
        { key: 'watermarkLagSeconds', label: 'latest event time − watermark', color: color(1), kind: 'line' }], fmtSeconds,
        { whole: false }),
      new Chart(charts, 'Late and malformed rows', [
        { key: 'lateRows', label: 'late rows dropped', color: color(2), kind: 'bar' },
        { key: 'malformedRows', label: 'malformed rows', color: 'var(--bad)', kind: 'bar' }], fmtCount),
    ];
  }

  add(record) {
    this.records.set(record.batchId, facts(record));
  }

  render() {
    const rows = [...this.records.values()].sort((a, b) => a.batchId - b.batchId).slice(-100);
    this.records = new Map(rows.map(r => [r.batchId, r]));
    // How far the watermark trails the latest event time seen so far (a
    // batch's own rows may all be older: late ones).
    let seen = null;
    for (const r of rows) {
      if (r.maxEvent != null) seen = seen == null ? r.maxEvent : Math.max(seen, r.maxEvent);
      r.watermarkLagSeconds = r.watermark != null && seen != null ? (seen - r.watermark) / 1000 : null;
    }
    const last = rows[rows.length - 1] || {};
    // A batch without new data has no event times: show the latest known.
    const latest = key => { for (let i = rows.length - 1; i >= 0; i--) if (rows[i][key] != null) return rows[i][key]; return null; };
    const shown = { ...last, watermark: latest('watermark'), watermarkLagSeconds: latest('watermarkLagSeconds'),
                    lateRowsShown: sum(rows, r => r.lateRows), malformedRowsShown: sum(rows, r => r.malformedRows) };
    for (const [key, , format] of TILES) {
      const v = shown[key];
      this.tiles[key].textContent = format(v);
      this.tiles[key].dataset.value = v == null ? '' : String(v);
    }
    this.tiles.lateRowsShown.previousSibling.textContent = `late rows dropped (${rows.length} batches)`;
    this.tiles.malformedRowsShown.previousSibling.textContent = `malformed rows (${rows.length} batches)`;
    for (const c of this.charts) c.update(rows);
  }
}

// ---- the page --------------------------------------------------------------

const cards = new Map();
let lastAnswerAt = 0, lastNewBatchAt = 0, polls = 0;

function setStatus(state, text) {
  const s = document.getElementById('status');
  s.dataset.state = state;
  s.textContent = text;
}

// A query is known by its id (kept in the checkpoint); without one, by its
// name and source.
function queryKey(r) {
  return r.id || `${r.name}|${(r.sources || []).map(s => s.description).join(',')}`;
}

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function pollProgress() {
  const records = await getJson('/progress');
  lastAnswerAt = Date.now();
  let fresh = false;
  for (const r of records) {
    const key = queryKey(r);
    let card = cards.get(key);
    if (!card) {
      document.getElementById('no-batches').hidden = true;
      card = new QueryCard(document.getElementById('queries'), key, r);
      cards.set(key, card);
    }
    if (!card.records.has(r.batchId)) fresh = true;
    card.add(r);
  }
  if (fresh) lastNewBatchAt = Date.now();
  for (const card of cards.values()) card.render();
  if (!records.length) setStatus('idle', 'waiting for the first batch');
  else if (Date.now() - lastNewBatchAt > IDLE_AFTER_MS) setStatus('idle', 'idle: no new batch since ' + fmtClock(lastNewBatchAt));
  else setStatus('running', 'running');
}

// ---- the plan --------------------------------------------------------------

let planShown = false;

function drawFlow(stages) {
  const byName = new Map(stages.map(s => [s.name, s]));
  const depth = new Map(), row = new Map(), perDepth = [];
  // A union reads several stages; any other stage one, or an aggregation's late rows.
  const froms = s => s.inputs || [s.input || s.lateOf].filter(Boolean);
  for (const s of stages) { // stages come in the order data flows
    const d = Math.max(-1, ...froms(s).filter(f => depth.has(f)).map(f => depth.get(f))) + 1;
    depth.set(s.name, d);
    perDepth[d] = (perDepth[d] || 0) + 1;
    row.set(s.name, perDepth[d] - 1);
  }
  const bw = 150, bh = 40, gx = 60, gy = 16;
  const width = perDepth.length * (bw + gx) - gx + 4, height = Math.max(...perDepth) * (bh + gy) - gy + 4;
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, width, height });
  const pos = name => ({ x: 2 + depth.get(name) * (bw + gx), y: 2 + row.get(name) * (bh + gy) });
  for (const s of stages) {
    for (const from of froms(s)) {
      if (!byName.has(from)) continue;
      const a = pos(from), b = pos(s.name);
      const x1 = a.x + bw, y1 = a.y + bh / 2, x2 = b.x, y2 = b.y + bh / 2, mx = (x1 + x2) / 2;
      svgEl('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: s.lateOf ? 'late' : '' }, svg);
    }
  }
  for (const s of stages) {
    const p = pos(s.name);
    const g = svgEl('g', { class: s.runs ? '' : 'off', 'data-stage': s.name }, svg);
    const title = svgEl('title', {}, g);
    title.textContent = s.runs ? `${s.kind} ${s.name}` : `${s.name}: not read by any sink, so it does not run`;
    svgEl('rect', { x: p.x, y: p.y, width: bw, height: bh }, g);
    svgEl('text', { x: p.x + 8, y: p.y + 16 }, g).textContent = s.name;
    const kind = [s.kind, s.plugin, s.outputMode, s.lateOf ? 'late rows' : null, s.watermark ? 'watermark ' + s.watermark : null]
      .filter(Boolean).join(' · ');
    svgEl('text', { class: 'kind', x: p.x + 8, y: p.y + 31 }, g).textContent = kind;
  }
  return svg;
}

async function pollPlan() {
  const plan = await getJson('/plan');
  document.getElementById('pipeline').textContent = plan.name ? `${plan.name} — ${plan.path || ''}` : '';
  if (plan.name) document.title = `sluice: ${plan.name}`;
  document.getElementById('plan-text').textContent = plan.text || '';
  const flow = document.getElementById('flow');
  flow.textContent = '';
  if (plan.stages && plan.stages.length) flow.appendChild(drawFlow(plan.stages));
  planShown = true;
}

// ---- memory tables ---------------------------------------------------------

function cell(v) {
  return v == null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

async function pollTables() {
  const { tables } = await getJson('/tables');
  const answers = await Promise.all(tables.map(n => getJson(`/tables/${encodeURIComponent(n)}?limit=${TABLE_ROWS}`)));
  const box = document.getElementById('tables');
  box.textContent = '';
  if (!answers.length) {
    const p = el('p', { class: 'empty' }, box, 'No memory table: a ');
    el('code', {}, p, 'memory');
    p.appendChild(document.createTextNode(' sink makes one.'));
    return;
  }
  for (const t of answers) {
    el('h3', {}, box, `${t.name} (first ${TABLE_ROWS} rows)`);
    const table = el('table', { 'data-table': t.name }, box);
    const fields = (t.schema && t.schema.fields || []).map(f => f.name);
    const head = el('tr', {}, el('thead', {}, table));
    for (const f of fields) el('th', {}, head, f);
    const body = el('tbody', {}, table);
    for (const r of t.rows) {
      const tr = el('tr', {}, body);
      for (const f of fields) el('td', {}, tr, cell(r[f]));
    }
  }
}

// ---- the loop --------------------------------------------------------------

async function tick() {
  let ok = true;
  try {
    await pollProgress();
    // The plan changes when the config is reloaded: ask again now and then.
    if (!planShown || polls % 10 === 0) await pollPlan();
    if (polls++ % TABLES_EVERY === 0) await pollTables();
  } catch (e) {
    ok = false;
    // Stopped (or restarting): keep what is drawn and keep asking.
    setStatus('stopped', lastAnswerAt ? 'stopped: no answer since ' + fmtClock(lastAnswerAt)
                                      : 'no answer from the server');
  }
  setTimeout(tick, ok ? POLL_MS : RETRY_MS);
}

tick();
