// Queues: list and create; one queue's counts, options, purge/delete,
// peek, lookup and the message browser with redrive.

import {
  busy, h, enc, qs, table, td, tdNum, field, card, stat, stateBadge, preview, messageParts, timeEl, fmtNum, fmtRate,
  fmtDuration, fmtTime, readNum, InputError, confirmDialog,
} from './ui.js';
import {navigate} from './router.js';
import {listView} from './lists.js';

export const queueHref = (name) => '/queues/' + enc(name);
export const messageHref = (queue, id) => `/queues/${enc(queue)}/messages/${enc(String(id))}`;
const dlqBadge = () => h('span.badge.dlq', {title: 'a dead-letter queue'}, 'DLQ');
const never = (v, text) => (v == null || v < 0 ? text : null);

// Every queue option: [key, label, kind, hint, show]; kind 'int' | 'float' | 'text' | [choices].
const OPTIONS = [
  ['ack_deadline_ms', 'Ack deadline (ms)', 'int', '', (v) => fmtDuration(v)],
  ['max_deliveries', 'Max deliveries', 'int', '', (v) => fmtNum(v)],
  ['backoff_initial_ms', 'Backoff initial (ms)', 'int', '', (v) => fmtDuration(v)],
  ['backoff_multiplier', 'Backoff multiplier', 'float', '', (v) => '× ' + v],
  ['backoff_max_ms', 'Backoff max (ms)', 'int', '', (v) => fmtDuration(v)],
  ['dlq_mode', 'Dead-letter mode', ['default', 'named', 'none'], 'default: NAME.dlq', String],
  ['dlq', 'Dead-letter queue', 'text', 'for mode named', (v) => v || '—'],
  ['max_length', 'Max length', 'int', '-1: unlimited', (v) => never(v, 'unlimited') ?? fmtNum(v)],
  ['overflow', 'Overflow', ['reject_publish', 'drop_oldest'], '', String],
  ['ttl_ms', 'Message TTL (ms)', 'int', '-1: none', (v) => never(v, 'none') ?? fmtDuration(v)],
  ['priorities', 'Priority levels', 'int', '1–10', String],
];
const kebab = (k) => k.replace(/_/g, '-');

// Builds the inputs of an options form; blank values are left out of read().
function optionInputs(prefix, {blankChoice}) {
  const inputs = {};
  for (const [key, , kind] of OPTIONS) {
    const id = `${prefix}-${kebab(key)}`;
    if (Array.isArray(kind)) {
      const opts = kind.map((c) => h('option', {value: c}, c));
      if (blankChoice && key !== 'dlq_mode') opts.unshift(h('option', {value: ''}, '(default)'));
      inputs[key] = h('select', {id}, opts);
    } else {
      inputs[key] = h('input', {id, type: kind === 'text' ? 'text' : 'number', step: kind === 'float' ? 'any' : 1,
        autocomplete: 'off'});
    }
  }
  const read = () => {
    const out = {};
    for (const [key, label, kind] of OPTIONS) {
      const el = inputs[key];
      if (kind === 'int' || kind === 'float') {
        const n = readNum(el, label, {integer: kind === 'int'});
        if (n != null) out[key] = n;
      } else if (el.value !== '') out[key] = el.value;
    }
    return out;
  };
  const fields = OPTIONS.map(([key, label, , hint]) => field(label, inputs[key], hint));
  return {inputs, read, fields};
}

// ---- /queues ----

function createQueueForm(ctx) {
  const name = h('input#create-queue-name', {type: 'text', autocomplete: 'off', spellcheck: 'false'});
  const opts = optionInputs('create-queue', {blankChoice: true});
  const submit = async () => {
    const n = name.value;  // as typed: the broker's naming rules apply
    const options = opts.read();
    if (options.dlq_mode === 'default') delete options.dlq_mode;  // the server's default anyway
    const body = Object.keys(options).length ? {name: n, options} : {name: n};
    const q = await ctx.api('POST', '/api/v1/queues', body);
    navigate(queueHref((q && q.name) || n), {notice: `Created queue ${(q && q.name) || n}.`});
  };
  return card('Create a queue',
    h('form.inline-form#create-queue-form', {novalidate: true, on: {submit: ctx.action(submit)}},
      field('Name', name), opts.fields,
      h('button#create-queue-submit.btn.primary', {type: 'submit'}, 'Create queue')),
    h('p.muted', null, 'Blank fields take the broker’s defaults.'));
}

export async function queuesPage(ctx) {
  const list = listView(ctx, {
    base: '/queues', apiPath: '/api/v1/queues', key: 'queues', noun: 'queues',
    ids: {filter: 'queue-filter', table: 'queues-table', next: 'queues-next', first: 'queues-first', total: 'queues-total'},
    columns: [['Name'], ['Ready', 'num'], ['Delayed', 'num'], ['In flight', 'num'], ['Dead-lettered', 'num'],
      ['Consumers', 'num'], ['Oldest', 'num'], ['Publish/s', 'num'], ['Ack/s', 'num']],
    row: (q) => h('tr.queue', null,
      td([h('a.mono', {href: queueHref(q.name)}, q.name), (q.dead_letter_for || []).length ? [' ', dlqBadge()] : null]),
      tdNum(q.ready), tdNum(q.delayed), tdNum(q.in_flight), tdNum(q.dead_lettered), tdNum(q.consumers),
      tdNum(q.oldest_age_ms > 0 ? fmtDuration(q.oldest_age_ms) : '—'), tdNum(fmtRate(q.publish_per_s)),
      tdNum(fmtRate(q.ack_per_s))),
  });
  await list.load();
  ctx.show(h('h1', null, 'Queues'), createQueueForm(ctx), card(null, list.el));
}

// ---- /queues/NAME ----

const lastOutcome = (m) => {
  const last = (m.history || [])[(m.history || []).length - 1];
  if (!last) return h('span.muted', null, '—');
  return [h('span.outcome', null, last.outcome), last.reason ? [': ', h('span.reason', null, last.reason)] : null];
};

// The full message under its row: payload, headers, every attempt.
function messageDetails(m, span) {
  const parts = messageParts(m);
  return h('tr.message-details', null, h('td', {colspan: span},
    h('div.message-details-body', null,
      h('section.details-payload', null, h('h3', null, 'Payload'), parts.payload),
      h('section.details-headers', null, h('h3', null, 'Headers'), parts.headers),
      h('section.details-history', null, h('h3', null, 'Attempt history'), parts.history))));
}

// One tr.message; expand(open) shows or hides its details row (span
// columns wide) right after it.
function messageRow(queue, m, span, onToggle) {
  const toggle = h('button.message-expand', {type: 'button', 'aria-expanded': 'false',
    'aria-label': `show the details of message ${m.id}`, title: 'Payload, headers and attempt history'}, '▸');
  const row = h('tr.message', null,
    h('td.expand', null, toggle),
    td(h('input.message-select', {type: 'checkbox', value: String(m.id), 'aria-label': `select message ${m.id}`})),
    h('td.num', null, h('a.mono', {href: messageHref(queue, m.id)}, String(m.id))),
    td(stateBadge(m.state)), tdNum(m.attempts),
    td(m.origin_queue ? h('a.mono', {href: queueHref(m.origin_queue)}, m.origin_queue) : '—'),
    td(timeEl(m.publish_ms)), td(lastOutcome(m), 'last-outcome'), td(preview(m.payload), 'payload-preview'));
  let details = null;  // built when first shown, dropped when hidden
  const expand = (open) => {
    if (open === (details != null)) return;
    if (open) row.after((details = messageDetails(m, span)));
    else { details.remove(); details = null; }
    row.classList.toggle('expanded', open);
    toggle.textContent = open ? '▾' : '▸';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', `${open ? 'hide' : 'show'} the details of message ${m.id}`);
  };
  toggle.addEventListener('click', () => { expand(details == null); onToggle(); });
  return {row, expand, expanded: () => details != null};
}

function queueLinks(q) {
  const o = q.options || {};
  const dlqFor = q.dead_letter_for || [];
  return [
    o.dlq_mode !== 'none' && o.dlq
      ? h('span#queue-dlq-link', null, 'dead-letter queue: ', h('a.mono', {href: queueHref(o.dlq)}, o.dlq)) : null,
    dlqFor.length ? h('span#queue-dlq-for', null, 'dead-letter queue for: ',
      dlqFor.map((n, i) => [i ? ', ' : '', h('a.mono', {href: queueHref(n)}, n)])) : null,
    h('span.muted', null, 'created ', h('span#queue-created', null, fmtTime(q.created_ms))),
  ];
}

function queueStats(q) {
  return [
    stat('Ready', fmtNum(q.ready), 'queue-ready', 'stat-ready'),
    stat('Delayed', fmtNum(q.delayed), 'queue-delayed', 'stat-delayed'),
    stat('In flight', fmtNum(q.in_flight), 'queue-in-flight', 'stat-in-flight'),
    stat('Dead-lettered', fmtNum(q.dead_lettered), 'queue-dead-lettered', 'stat-dead'),
    stat('Consumers', fmtNum(q.consumers), 'queue-consumers'),
    stat('Oldest age', q.oldest_age_ms > 0 ? fmtDuration(q.oldest_age_ms) : '—', 'queue-oldest-age'),
    stat('Publish/s', fmtRate(q.publish_per_s), 'queue-publish-rate'),
    stat('Ack/s', fmtRate(q.ack_per_s), 'queue-ack-rate'),
    stat('Dropped', fmtNum(q.dropped), 'queue-dropped'),
    stat('Expired', fmtNum(q.expired), 'queue-expired'),
  ];
}

export async function queuePage(ctx, name) {
  const base = '/api/v1/queues/' + enc(name);
  let queue = await ctx.get(base);
  let listed = [];  // messages on the shown page
  let cursor = {next: null, limit: null};

  const head = h('div.page-head');
  const links = h('p.dlq-links');
  const stats = h('div.stats');
  const optionsTable = h('div.table-wrap');
  const keepDlq = h('input#delete-keep-dlq', {type: 'checkbox'});
  const keepDlqLabel = h('label.check', null, keepDlq, ` keep ${name}.dlq`);
  const actionResult = h('p#purge-result.result', {role: 'status'});

  const showQueue = (q) => {
    queue = q;
    links.replaceChildren(...queueLinks(q).filter(Boolean));
    stats.replaceChildren(...queueStats(q));
    optionsTable.replaceChildren(table('queue-options-table', [['Option'], ['Value'], ['']],
      OPTIONS.map(([key, label, , , show]) => {
        const v = (q.options || {})[key];
        return h('tr', null, td(label), td(v == null ? '—' : String(v), 'mono'), td(v == null ? '' : show(v), 'muted'));
      })));
    keepDlqLabel.hidden = (q.options || {}).dlq_mode !== 'default';
    updateRedrive();
  };
  const reloadQueue = async () => showQueue(await ctx.sub('queue').get(base));

  // -- message browser (?after=ID) --
  const msgHolder = h('div.table-wrap', null, h('p.loading', null, 'Loading…'));
  const msgTotal = h('span#messages-total.muted');
  const msgNext = h('button#messages-next.btn.secondary', {type: 'button'}, 'Next page →');
  const msgFirst = h('button#messages-first.btn.secondary', {type: 'button'}, '⇤ First page');
  const expandAll = h('button#messages-expand-all.btn.secondary.small', {type: 'button', disabled: true}, 'Expand all');
  let rows = [];  // messageRow() of each listed message
  const redriveTo = h('input#redrive-to', {type: 'text', placeholder: 'original queue', autocomplete: 'off'});
  const redriveResult = h('p#redrive-result.result', {role: 'status'});
  const redriveBox = h('div#redrive-controls.redrive', {hidden: true});

  function updateRedrive() {
    redriveBox.hidden = !((queue.dead_letter_for || []).length ||
      listed.some((m) => m.origin_queue && m.origin_queue !== name));
  }

  // "Collapse all" once every row on the page is open, else "Expand all".
  const allExpanded = () => rows.length > 0 && rows.every((r) => r.expanded());
  const updateExpandAll = () => {
    expandAll.disabled = !rows.length;
    expandAll.textContent = allExpanded() ? 'Collapse all' : 'Expand all';
  };
  expandAll.addEventListener('click', () => {
    const open = !allExpanded();
    for (const r of rows) r.expand(open);
    updateExpandAll();
  });

  const checkboxes = () => [...msgHolder.querySelectorAll('input.message-select')];
  const loadMessages = async (params) => {
    const after = params.get('after') || '';
    const limit = params.get('limit') || null;
    let d;
    try {
      d = await busy(msgHolder, ctx.sub('messages').get(`${base}/messages` + qs({after, limit})));
    } catch (e) {
      if (typeof e !== 'symbol') { rows = []; updateExpandAll(); }  // busy() dropped the table
      throw e;
    }
    listed = d.messages || [];
    const all = h('input#messages-select-all', {type: 'checkbox', 'aria-label': 'select every message on this page'});
    all.addEventListener('change', () => { for (const c of checkboxes()) c.checked = all.checked; });
    const cols = [['', 'expand'], [all], ['Id', 'num'], ['State'], ['Attempts', 'num'], ['Origin queue'],
      ['Published'], ['Last outcome'], ['Payload']];
    rows = listed.map((m) => messageRow(name, m, cols.length, updateExpandAll));
    msgHolder.replaceChildren(table('messages-table', cols, rows.map((r) => r.row), 'No messages.'));
    updateExpandAll();
    msgTotal.textContent = `${fmtNum(d.total ?? listed.length)} messages` + (after ? ` · page after id ${after}` : '');
    cursor = {next: d.next ?? null, limit};
    msgNext.disabled = cursor.next == null || cursor.next === '';
    msgFirst.disabled = !after;
    updateRedrive();
  };
  // One checkbox changed: the select-all box shows all / some / none.
  msgHolder.addEventListener('change', (e) => {
    const all = msgHolder.querySelector('#messages-select-all');
    if (!all || !e.target.classList.contains('message-select')) return;
    const n = checkboxes().filter((c) => c.checked).length;
    all.checked = n > 0 && n === listed.length;
    all.indeterminate = n > 0 && n < listed.length;
  });
  msgNext.addEventListener('click', () => navigate(queueHref(name) + qs({after: cursor.next, limit: cursor.limit})));
  msgFirst.addEventListener('click', () => navigate(queueHref(name) + qs({limit: cursor.limit})));

  const afterChange = () => Promise.all([reloadQueue(), loadMessages(ctx.params)]);

  const redrive = async (body) => {
    const to = redriveTo.value.trim();
    if (to) body.to = to;
    redriveResult.textContent = '';
    const r = await ctx.api('POST', `${base}/redrive`, body);
    redriveResult.textContent = `Moved ${fmtNum(r.moved)} message(s) to ${to || 'their original queue(s)'}.`;
    await afterChange();
  };
  const redriveSelected = async () => {
    const ids = checkboxes().filter((c) => c.checked).map((c) => Number(c.value));
    if (!ids.length) throw new InputError('select the messages to redrive first');
    await redrive({ids});
  };
  const redriveAll = async () => {
    const to = redriveTo.value.trim();
    const ok = await confirmDialog({title: 'Redrive every dead letter',
      message: `Move every dead letter in “${name}” to ${to ? `“${to}”` : 'its original queue'}?`,
      okText: 'Redrive all', danger: false});
    if (ok) await redrive({all: true});
  };
  redriveBox.append(
    h('span.muted', null, 'Redrive dead letters:'),
    field('To queue', redriveTo, 'blank: each message’s original queue'),
    h('button#redrive-selected.btn.primary', {type: 'button', on: {click: ctx.action(redriveSelected)}}, 'Redrive selected'),
    h('button#redrive-all.btn.secondary', {type: 'button', on: {click: ctx.action(redriveAll)}}, 'Redrive all…'));

  // -- purge, delete, lookup, peek --
  const purge = async () => {
    const ok = await confirmDialog({title: 'Purge queue',
      message: `Remove every waiting message from “${name}”? This cannot be undone.`, okText: 'Purge'});
    if (!ok) return;
    const r = await ctx.api('POST', `${base}/purge`);
    actionResult.textContent = `Purged ${fmtNum(r && r.purged)} message(s).`;
    await afterChange();
  };
  const del = async () => {
    const ok = await confirmDialog({title: 'Delete queue',
      message: `Delete the queue “${name}” and all of its messages?` +
        (keepDlq.checked && !keepDlqLabel.hidden ? ` ${name}.dlq is kept.` : ''),
      requireText: name, okText: 'Delete queue'});
    if (!ok) return;
    await ctx.api('DELETE', base + (keepDlq.checked && !keepDlqLabel.hidden ? '?keep_dlq=true' : ''));
    navigate('/queues', {notice: `Deleted queue ${name}.`});
  };
  const lookupId = h('input#lookup-id', {type: 'text', inputmode: 'numeric', placeholder: 'message id', autocomplete: 'off'});
  const lookup = () => {
    const id = lookupId.value.trim();
    if (!id) throw new InputError('give a message id');
    navigate(messageHref(name, id));
  };
  const peekCount = h('input#peek-count', {type: 'number', min: 1, max: 1000, step: 1, value: '20'});
  const peekHolder = h('div.table-wrap#peek-result');
  const peekCard = card('Peek: the next ready messages, in delivery order, left in place', peekHolder);
  peekCard.hidden = true;  // until the first peek
  const peek = async () => {
    const count = readNum(peekCount, 'count') ?? 20;
    const d = await busy(peekHolder, ctx.sub('peek').get(`${base}/peek` + qs({count})));
    peekCard.hidden = false;
    peekHolder.replaceChildren(table('peek-table',
      [['#', 'num'], ['Id', 'num'], ['Priority', 'num'], ['Attempts', 'num'], ['Published'], ['Expires'], ['Payload']],
      (d.messages || []).map((m, i) => h('tr.peek-message', null, tdNum(i + 1),
        h('td.num', null, h('a.mono', {href: messageHref(name, m.id)}, String(m.id))), tdNum(m.priority),
        tdNum(m.attempts), td(timeEl(m.publish_ms)), td(m.expires_ms ? timeEl(m.expires_ms) : 'never'),
        td(preview(m.payload), 'payload-preview'))),
      'No ready messages.'));
  };

  // -- alter: only fields that differ from what the form was filled with --
  const alterOpts = optionInputs('alter-queue', {blankChoice: false});
  const alterResult = h('p#alter-queue-result.result', {role: 'status'});
  let formBase = {};
  const fillAlter = (o) => {
    formBase = {...o};
    for (const [key] of OPTIONS) alterOpts.inputs[key].value = o[key] == null ? '' : String(o[key]);
  };
  const alter = async () => {
    const now = alterOpts.read();
    const options = {};
    for (const [key, v] of Object.entries(now)) if (v !== formBase[key]) options[key] = v;
    if (!Object.keys(options).length) { alterResult.textContent = 'Nothing changed.'; return; }
    alterResult.textContent = '';
    const q = await ctx.api('PATCH', base, {options});
    showQueue(q);
    fillAlter(q.options || {});
    alterResult.textContent = `Saved: ${Object.keys(options).join(', ')}.`;
  };

  head.append(
    h('h1', null, 'Queue ', h('span.mono', null, name), (queue.dead_letter_for || []).length ? [' ', dlqBadge()] : null),
    h('span.head-actions', null, keepDlqLabel,
      h('button#purge-queue.btn.secondary', {type: 'button', on: {click: ctx.action(purge)}}, 'Purge…'),
      h('button#delete-queue.btn.danger', {type: 'button', on: {click: ctx.action(del)}}, 'Delete queue…')));
  showQueue(queue);
  fillAlter(queue.options || {});
  ctx.onQuery = loadMessages;
  ctx.show(head, links, actionResult, stats,
    h('div.toolbar.queue-tools', null,
      h('form.inline-form#lookup-form', {novalidate: true, on: {submit: ctx.action(lookup)}},
        field('Find message by id', lookupId), h('button#lookup-submit.btn.secondary', {type: 'submit'}, 'Open')),
      h('form.inline-form#peek-form', {novalidate: true, on: {submit: ctx.action(peek)}},
        field('Peek ready messages', peekCount), h('button#peek-load.btn.secondary', {type: 'submit'}, 'Peek'))),
    peekCard,
    card('Messages', h('div.toolbar', null, expandAll, msgTotal), redriveBox, redriveResult, msgHolder,
      h('div.pager', null, msgFirst, msgNext)),
    h('div.columns', null,
      card('Options', optionsTable),
      card('Alter options',
        h('form.inline-form.options-form#alter-queue-form', {novalidate: true, on: {submit: ctx.action(alter)}},
          alterOpts.fields, h('button#alter-queue-submit.btn.primary', {type: 'submit'}, 'Save changes')),
        alterResult)));
  // Counts follow the broker; the message list only changes on request.
  ctx.every(5000, reloadQueue);
  await loadMessages(ctx.params);
}
