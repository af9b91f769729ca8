// DOM building, formatting and small widgets shared by every page.
// Everything that can carry broker data goes through h(): strings become
// text nodes, so names and payloads are never parsed as HTML.

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'multiple', 'required']);

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (/^on/i.test(k) || k === 'style') throw new Error(`h(): no ${k} attribute (CSP)`);
    else if (k === 'class') el.classList.add(...String(v).split(' ').filter(Boolean));
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function isAttrs(a) {
  return a != null && typeof a === 'object' && !Array.isArray(a) && !(a instanceof Node);
}

// h('td#id.num.mono', {title: 'x', on: {click: fn}}, 'text', node, [more])
export function h(tag, attrs, ...children) {
  const [name, ...rest] = tag.split(/(?=[#.])/);  // 'td', '#id', '.num', ...
  const el = document.createElement(name || 'div');
  for (const r of rest) {
    if (r[0] === '#') el.id = r.slice(1);
    else el.classList.add(r.slice(1));
  }
  if (isAttrs(attrs)) setAttrs(el, attrs);
  else children.unshift(attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (isAttrs(attrs)) for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  else children.unshift(attrs);
  append(el, children);
  return el;
}

export const enc = encodeURIComponent;

// Dims el while promise runs (the old rows stay readable meanwhile); on
// failure the old rows go, so they cannot pass for the answer. (A symbol
// is a dropped stale answer: then a newer load owns el.)
export async function busy(el, promise) {
  el.classList.add('busy');
  try {
    return await promise;
  } catch (e) {
    if (typeof e !== 'symbol') el.replaceChildren(h('p.load-failed', null, 'Could not load this; see the error above.'));
    throw e;
  } finally {
    el.classList.remove('busy');
  }
}

// '?a=1&b=x' from an object, leaving out empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') u.set(k, String(v));
  const t = u.toString();
  return t ? '?' + t : '';
}

// ---- formatting ----

const nf = new Intl.NumberFormat('en-US', {maximumFractionDigits: 1});
export const fmtNum = (n) => (n == null || Number.isNaN(n) ? '—' : nf.format(n));
export const fmtRate = (n) => (n == null ? '—' : nf.format(Math.round(n * 10) / 10));

export function fmtBytes(n) {
  if (n == null || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)) + ' ' + units[i];
}

export function fmtDuration(ms) {
  if (ms == null || ms < 0) return '—';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
  const parts = [[86400000, 'd'], [3600000, 'h'], [60000, 'min'], [1000, 's']];
  const out = [];
  for (const [size, unit] of parts) {
    const q = Math.floor(ms / size);
    if (q || out.length) { out.push(q + ' ' + unit); ms -= q * size; }
    if (out.length === 2) break;
  }
  return out.filter((p) => !p.startsWith('0 ')).join(' ');
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// Local time as 'YYYY-MM-DD HH:MM:SS.mmm'; 0 or missing means "no time".
export function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// A time cell/span: local time shown, UTC in the tooltip.
export function timeEl(ms, tag = 'span') {
  return h(tag + '.mono', {title: ms ? new Date(ms).toISOString() : null}, fmtTime(ms));
}

// datetime-local <-> epoch ms (both in local time).
export function toLocalInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
    `${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function fromLocalInput(v) {
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? null : t;
}

// ---- small widgets ----

const STATES = ['ready', 'delayed', 'in_flight', 'dead_lettered', 'stable', 'empty', 'dead',
  'preparingrebalance', 'completingrebalance', 'preparing_rebalance', 'completing_rebalance'];
export function badge(text, kind) {
  const k = STATES.includes(kind) ? 'state-' + kind : kind || '';
  return h('span.badge', {class: k}, text);
}
// Shown as the API spells it (dead_lettered), coloured by state.
export const stateBadge = (state) => badge(String(state ?? '—'), String(state ?? '').toLowerCase());

// A shown key/value/payload: {"format","text","size","truncated"[,"raw"]}.
// JSON shows pretty-printed (keys in their order) with a Raw tab that shows
// the bytes as stored.
export function contentView(v, preId) {
  if (v == null) return preId ? h('pre', {id: preId}) : h('span.muted', null, 'null');
  const fmt = ['json', 'text', 'hex'].includes(v.format) ? v.format : 'other';
  const pretty = h('pre', {id: preId, class: 'fmt-' + fmt}, v.text ?? '');
  let tabs = null;
  let raw = null;
  if (v.raw != null) {
    raw = h('pre.content-raw.fmt-text', {hidden: true}, v.raw);
    const prettyTab = h('button.content-tab.active', {type: 'button'}, 'Pretty');
    const rawTab = h('button.content-tab.content-tab-raw', {type: 'button'}, 'Raw');
    const show = (showRaw) => {
      pretty.hidden = showRaw;
      raw.hidden = !showRaw;
      prettyTab.classList.toggle('active', !showRaw);
      rawTab.classList.toggle('active', showRaw);
    };
    prettyTab.addEventListener('click', () => show(false));
    rawTab.addEventListener('click', () => show(true));
    tabs = h('span.content-tabs', null, prettyTab, rawTab);
  }
  return h('div.content', null,
    h('div.content-meta', null, badge(v.format, 'fmt-' + fmt), ' ', h('span.muted', null, fmtBytes(v.size)),
      v.truncated ? [' ', badge('truncated', 'truncated')] : null, tabs ? [' ', tabs] : null),
    pretty, raw);
}

// A queue message's payload, headers and attempt history, for the message
// page and the queue page's expanded rows. ids names the parts on the one
// full page ({payload, headers, history}); inline copies go by class only,
// since a page may hold many of them.
export function messageParts(m, ids = {}) {
  const headers = table(ids.headers, [['Key'], ['Value']],
    (m.headers || []).map((x) => h('tr.header', null, td(x.key, 'mono'), td(contentView(x.value)))), 'No headers.');
  headers.classList.add('message-headers');
  const history = table(ids.history, [['#', 'num'], ['Time'], ['Outcome'], ['Consumer'], ['Reason']],
    (m.history || []).map((e, i) => h('tr.history', {class: 'outcome-' + String(e.outcome).replace(/[^a-z_]/gi, '')},
      tdNum(i + 1), td(timeEl(e.time_ms)), td(e.outcome, 'mono'), td(e.consumer || '—'), td(e.reason || '—'))),
    'No attempts yet.');
  history.classList.add('message-history');
  return {payload: contentView(m.payload, ids.payload), headers, history};
}

// A one-line preview of a payload, as text.
export function preview(v, max = 200) {
  if (v == null) return h('span.muted', null, 'null');
  const t = String(v.text ?? '').replace(/\s+/g, ' ');
  return h('span.preview', null, badge(v.format, 'fmt-' + v.format), ' ',
    h('span.mono', null, t.length > max ? t.slice(0, max) + '…' : t));
}

// table(id, [['Name'], ['Records', 'num']], rows, 'No topics.')
export function table(id, cols, rows, empty = 'Nothing to show.') {
  const head = h('tr', null, cols.map(([title, cls]) => h('th', {class: cls}, title)));
  const body = h('tbody', null, rows.length ? rows
    : h('tr.empty', null, h('td.muted', {colspan: cols.length}, empty)));
  return h('table.grid', {id}, h('thead', null, head), body);
}

export const td = (v, cls) => h('td', {class: cls}, v);
export const tdNum = (v) => h('td.num', null, typeof v === 'number' ? fmtNum(v) : v);

export function field(label, input, hint) {
  return h('label.field', null, h('span.label', null, label), input, hint ? h('span.hint', null, hint) : null);
}

export const card = (title, ...children) => h('section.card', null, title ? h('h2', null, title) : null, children);

// A labelled value tile for summary rows.
export function stat(label, value, id, cls) {
  return h('div.stat', {class: cls}, h('div.stat-label', null, label), h('div.stat-value', {id}, value));
}

// Reads a number input: null when blank, else a finite number.
export class InputError extends Error {
  constructor(message) { super(message); this.code = 'invalid_input'; }
}
export function readNum(input, label, {integer = true} = {}) {
  const v = input.value.trim();
  if (v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new InputError(`${label} must be ${integer ? 'an integer' : 'a number'}`);
  }
  return n;
}

// ---- confirmation dialog ----

let openDialog = null;

export function closeDialog() {
  if (openDialog) openDialog(false);
}

// Resolves true when confirmed. With requireText the user must type it.
export function confirmDialog({title, message, okText = 'OK', requireText = null, danger = true}) {
  closeDialog();
  return new Promise((resolve) => {
    const input = requireText != null ? h('input#confirm-input', {type: 'text', autocomplete: 'off', spellcheck: 'false'}) : null;
    const ok = h('button#confirm-ok.btn', {type: 'button', class: danger ? 'danger' : 'primary', disabled: input != null}, okText);
    const cancel = h('button#confirm-cancel.btn.secondary', {type: 'button'}, 'Cancel');
    const box = h('div.modal', {role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-title'},
      h('h2#confirm-title', null, title),
      h('p', null, message),
      input ? field(['Type ', h('code', null, requireText), ' to confirm'], input) : null,
      h('div.modal-buttons', null, cancel, ok));
    const backdrop = h('div#confirm-dialog.modal-backdrop', null, box);
    const prevFocus = document.activeElement;
    const done = (result) => {
      openDialog = null;
      document.removeEventListener('keydown', onKey, true);
      backdrop.remove();
      if (prevFocus && prevFocus.focus) prevFocus.focus();
      resolve(result);
    };
    const matches = () => !input || input.value === requireText;
    const onKey = (e) => {
      if (e.key === 'Escape') { e.preventDefault(); done(false); }
      else if (e.key === 'Enter' && e.target === input && matches()) { e.preventDefault(); done(true); }
    };
    if (input) input.addEventListener('input', () => { ok.disabled = !matches(); });
    ok.addEventListener('click', () => { if (matches()) done(true); });
    cancel.addEventListener('click', () => done(false));
    backdrop.addEventListener('click', (e) => { if (e.target === backdrop) done(false); });
    document.addEventListener('keydown', onKey, true);
    openDialog = done;
    document.body.append(backdrop);
    (input || cancel).focus();
  });
}

// ---- rate chart (inline SVG) ----

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// Two polylines (in, out) over the samples, oldest first.
export function rateChart(samples) {
  if (!samples || samples.length === 0) return h('p.muted#rate-chart', null, 'No rate samples yet.');
  const W = 760, H = 200, L = 64, R = 16, T = 14, B = 26;
  const max = niceMax(Math.max(...samples.map((x) => Math.max(x.in_per_s || 0, x.out_per_s || 0))));
  const n = samples.length;
  // One sample still draws a flat line across the whole width.
  const xs = (i) => (n === 1 ? [L, W - R] : [L + (i * (W - L - R)) / (n - 1)]);
  const y = (v) => T + (H - T - B) * (1 - (v || 0) / max);
  const points = (key) => samples.flatMap((smp, i) => xs(i).map((x) => `${x.toFixed(1)},${y(smp[key]).toFixed(1)}`)).join(' ');
  const grid = [0, 0.5, 1].map((f) => {
    const yy = y(max * f);
    return s('g', null,
      s('line', {x1: L, x2: W - R, y1: yy, y2: yy, class: 'chart-grid'}),
      s('text', {x: L - 6, y: yy + 4, 'text-anchor': 'end', class: f === 1 ? 'chart-label chart-ymax' : 'chart-label'},
        fmtRate(max * f) + '/s'));
  });
  const t = (ms) => fmtTime(ms).slice(11, 19);
  const last = samples[n - 1];
  return h('div.chart#rate-chart', null,
    s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': 'messages in and out per second'},
      grid,
      s('polyline', {points: points('in_per_s'), class: 'line-in'}),
      s('polyline', {points: points('out_per_s'), class: 'line-out'}),
      s('text', {x: L, y: H - 6, class: 'chart-label'}, t(samples[0].time_ms)),
      s('text', {x: W - R, y: H - 6, 'text-anchor': 'end', class: 'chart-label'}, t(last.time_ms))),
    h('div.legend', null,
      h('span.legend-item', null, h('span.swatch.swatch-in'), 'in ', h('b', null, fmtRate(last.in_per_s) + '/s')),
      h('span.legend-item', null, h('span.swatch.swatch-out'), 'out ', h('b', null, fmtRate(last.out_per_s) + '/s')),
      h('span.muted', null, `${n} sample${n === 1 ? '' : 's'}`)));
}
