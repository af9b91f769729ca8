// Topics list, topic details (partitions, alter, delete) and the record browser.

import {
  busy, h, enc, qs, table, td, tdNum, field, card, stat, contentView, badge, timeEl, fmtNum, fmtBytes, fmtRate,
  fmtDuration, fmtTime, readNum, InputError, confirmDialog, toLocalInput, fromLocalInput,
} from './ui.js';
import {navigate, currentUrl} from './router.js';
import {listView} from './lists.js';

const retentionText = (ms) => (ms == null ? '—' : ms < 0 ? 'forever' : `${fmtDuration(ms)} (${fmtNum(ms)} ms)`);
const retentionBytesText = (b) => (b == null ? '—' : b < 0 ? 'unlimited' : fmtBytes(b));
const topicHref = (name) => '/topics/' + enc(name);

// ---- /topics ----

function createTopicForm(ctx) {
  const name = h('input#create-topic-name', {type: 'text', autocomplete: 'off', spellcheck: 'false'});
  const parts = h('input#create-topic-partitions', {type: 'number', min: 1, step: 1, value: '1'});
  const retMs = h('input#create-topic-retention-ms', {type: 'number', min: -1, step: 1, placeholder: 'forever'});
  const retBytes = h('input#create-topic-retention-bytes', {type: 'number', min: -1, step: 1, placeholder: 'unlimited'});
  const submit = async () => {
    const n = name.value;  // as typed: the broker's naming rules apply
    const body = {
      name: n,
      partitions: readNum(parts, 'partitions') ?? 1,
      retention_ms: readNum(retMs, 'retention (ms)') ?? -1,
      retention_bytes: readNum(retBytes, 'retention (bytes)') ?? -1,
    };
    const t = await ctx.api('POST', '/api/v1/topics', body);
    navigate(topicHref((t && t.name) || n), {notice: `Created topic ${(t && t.name) || n}.`});
  };
  return card('Create a topic',
    h('form.inline-form#create-topic-form', {novalidate: true, on: {submit: ctx.action(submit)}},
      field('Name', name), field('Partitions', parts), field('Retention (ms)', retMs, 'blank: forever'),
      field('Retention (bytes)', retBytes, 'blank: unlimited'),
      h('button#create-topic-submit.btn.primary', {type: 'submit'}, 'Create topic')));
}

export async function topicsPage(ctx) {
  const list = listView(ctx, {
    base: '/topics', apiPath: '/api/v1/topics', key: 'topics', noun: 'topics',
    ids: {filter: 'topic-filter', table: 'topics-table', next: 'topics-next', first: 'topics-first', total: 'topics-total'},
    columns: [['Name'], ['Partitions', 'num'], ['Records', 'num'], ['Size', 'num'], ['Retention'], ['Records/s', 'num']],
    row: (t) => h('tr.topic', null,
      td(h('a.mono', {href: topicHref(t.name)}, t.name)),
      tdNum(t.partitions), tdNum(t.records), tdNum(fmtBytes(t.bytes)),
      td(retentionText(t.retention_ms)), tdNum(fmtRate(t.records_in_per_s))),
  });
  await list.load();
  ctx.show(h('h1', null, 'Topics'), createTopicForm(ctx), card(null, list.el));
}

// ---- /topics/NAME ----

function headersView(headers) {
  if (!headers || headers.length === 0) return h('span.muted', null, '—');
  return h('ul.headers', null, headers.map((x) => h('li', null,
    h('span.hkey', null, x.key), ': ',
    x.value == null ? h('span.muted', null, 'null') : [
      x.value.format !== 'text' ? [badge(x.value.format, 'fmt-' + x.value.format), ' '] : null,
      h('span.mono', null, x.value.text), x.value.truncated ? [' ', badge('truncated', 'truncated')] : null,
    ])));
}

const recordRow = (r) => h('tr.record', null,
  h('td.num.mono.record-offset', null, String(r.offset)),
  h('td.record-time', null, timeEl(r.timestamp_ms)),
  h('td.record-key', null, contentView(r.key)),
  h('td.record-value', null, contentView(r.value)),
  h('td.record-headers', null, headersView(r.headers)));

// The record browser; its window is in the address (?partition&from&offset&time_ms&limit).
function recordBrowser(ctx, name, getTopic) {
  const partition = h('select#records-partition');
  const from = h('select#records-from', null,
    h('option', {value: 'latest'}, 'latest'), h('option', {value: 'offset'}, 'from offset'),
    h('option', {value: 'time'}, 'from time'));
  const offset = h('input#records-offset', {type: 'number', min: 0, step: 1, placeholder: 'offset'});
  const time = h('input#records-time', {type: 'datetime-local', step: 1});
  const limit = h('input#records-limit', {type: 'number', min: 1, max: 500, step: 1, value: '50'});
  const older = h('button#records-older.btn.secondary', {type: 'button', disabled: true}, '← Older');
  const newer = h('button#records-newer.btn.secondary', {type: 'button', disabled: true}, 'Newer →');
  const logStart = h('span#records-log-start.mono');
  const hw = h('span#records-high-watermark.mono');
  const showing = h('span#records-showing.muted');
  const holder = h('div.table-wrap', null, h('p.loading', null, 'Loading…'));
  let win = {p: 0, limit: 50, older: null, newer: null};

  // Typing an offset or a time picks the matching mode.
  offset.addEventListener('input', () => { from.value = 'offset'; });
  time.addEventListener('input', () => { from.value = 'time'; });

  const setPartitions = (n) => {
    const keep = partition.value || '0';
    partition.replaceChildren(...Array.from({length: Math.max(n, 1)}, (_, i) => h('option', {value: String(i)}, String(i))));
    partition.value = Number(keep) < n ? keep : '0';
  };

  const go = (params) => {
    const url = `/topics/${enc(name)}` + qs({...params, limit: params.limit !== 50 ? params.limit : null});
    navigate(url, {replace: url === currentUrl()});
  };

  const load = async (params) => {
    const p = Math.max(0, parseInt(params.get('partition') || '0', 10) || 0);
    const mode = ['latest', 'offset', 'time'].includes(params.get('from')) ? params.get('from') : 'latest';
    const lim = Math.min(500, Math.max(1, parseInt(params.get('limit') || '50', 10) || 50));
    const off = params.get('offset');
    const tms = params.get('time_ms');
    partition.value = String(p);
    from.value = mode;
    limit.value = String(lim);
    if (mode === 'offset' && off != null) offset.value = off;
    if (mode === 'time' && tms) time.value = toLocalInput(Number(tms));
    let d;
    try {
      d = await busy(holder, ctx.sub('records').get(`/api/v1/topics/${enc(name)}/partitions/${p}/records` +
        qs({from: mode, offset: mode === 'offset' ? off : null, time_ms: mode === 'time' ? tms : null, limit: lim})));
    } catch (e) {
      if (typeof e !== 'symbol') {
        older.disabled = newer.disabled = true;
        logStart.textContent = hw.textContent = '—';
        showing.textContent = '';
      }
      throw e;
    }
    const recs = d.records || [];
    logStart.textContent = String(d.log_start);
    hw.textContent = String(d.high_watermark);
    showing.textContent = recs.length
      ? `showing offsets ${recs[0].offset}–${recs[recs.length - 1].offset} (${fmtNum(recs.length)} records)`
      : 'no records in this window';
    holder.replaceChildren(table('records-table',
      [['Offset', 'num'], ['Timestamp'], ['Key'], ['Value'], ['Headers']], recs.map(recordRow),
      'No records here.'));
    // Older: the `lim` records before the first one shown (or before where we asked).
    const firstOff = recs.length ? recs[0].offset
      : Math.min(d.high_watermark, mode === 'offset' && off != null ? Number(off) : d.high_watermark);
    win = {p, limit: lim, older: Math.max(d.log_start, firstOff - lim), newer: d.next_offset};
    older.disabled = firstOff <= d.log_start;
    newer.disabled = d.next_offset == null || d.next_offset >= d.high_watermark;
  };

  const submit = () => {
    const lim = readNum(limit, 'limit') ?? 50;
    const params = {partition: partition.value, from: from.value, limit: lim};
    if (from.value === 'offset') {
      const o = readNum(offset, 'offset');
      if (o == null) throw new InputError('give an offset to start from');
      params.offset = o;
    } else if (from.value === 'time') {
      const t = fromLocalInput(time.value);
      if (t == null) throw new InputError('give a time to start from');
      params.time_ms = t;
    }
    go(params);
  };
  older.addEventListener('click', () => go({partition: win.p, from: 'offset', offset: win.older, limit: win.limit}));
  newer.addEventListener('click', () => go({partition: win.p, from: 'offset', offset: win.newer, limit: win.limit}));

  setPartitions(getTopic().partitions);
  const el = card('Records',
    h('form.inline-form#records-form', {novalidate: true, on: {submit: ctx.action(submit)}},
      field('Partition', partition), field('From', from), field('Offset', offset), field('Time (local)', time),
      field('Limit', limit), h('button#records-load.btn.primary', {type: 'submit'}, 'Load')),
    h('div.records-bar', null,
      h('span', null, 'log start ', logStart, ' · high watermark ', hw, ' · ', showing),
      h('span.pager', null, older, newer)),
    holder);
  return {el, load, setPartitions};
}

export async function topicPage(ctx, name) {
  const base = '/api/v1/topics/' + enc(name);
  let topic = await ctx.get(base);

  const info = h('div.stats');
  const parts = h('div.table-wrap');
  const altParts = h('input#alter-topic-partitions', {type: 'number', min: 1, step: 1});
  const altRetMs = h('input#alter-topic-retention-ms', {type: 'number', min: -1, step: 1});
  const altRetBytes = h('input#alter-topic-retention-bytes', {type: 'number', min: -1, step: 1});
  const altResult = h('p#alter-topic-result.result');
  const browser = recordBrowser(ctx, name, () => topic);

  const showTopic = (t) => {
    topic = t;
    info.replaceChildren(
      stat('Partitions', fmtNum(t.partitions), 'topic-partitions'),
      stat('Records', fmtNum(t.records), 'topic-records'),
      stat('Size', fmtBytes(t.bytes), 'topic-bytes'),
      stat('Records/s', fmtRate(t.records_in_per_s), 'topic-rate'),
      stat('Retention', retentionText(t.retention_ms), 'topic-retention-ms'),
      stat('Retention size', retentionBytesText(t.retention_bytes), 'topic-retention-bytes'),
      stat('Created', fmtTime(t.created_ms), 'topic-created'));
    parts.replaceChildren(table('partitions-table',
      [['Partition', 'num'], ['Log start', 'num'], ['High watermark', 'num'], ['Records', 'num'], ['Bytes', 'num'],
        ['Batches', 'num'], ['Records/s', 'num']],
      (t.partition_info || []).map((p) => h('tr.partition', null,
        h('td.num.mono', null, String(p.partition)), h('td.num.mono', null, String(p.log_start)),
        h('td.num.mono', null, String(p.high_watermark)), tdNum(p.high_watermark - p.log_start),
        tdNum(fmtBytes(p.bytes)), tdNum(p.batches), tdNum(fmtRate(p.records_in_per_s))))));
    altParts.value = String(t.partitions);
    altRetMs.value = String(t.retention_ms);
    altRetBytes.value = String(t.retention_bytes);
    browser.setPartitions(t.partitions);
  };

  // Only what changed is sent (partitions can only grow).
  const alter = async () => {
    const body = {};
    const p = readNum(altParts, 'partitions');
    const rm = readNum(altRetMs, 'retention (ms)');
    const rb = readNum(altRetBytes, 'retention (bytes)');
    if (p != null && p !== topic.partitions) body.partitions = p;
    if (rm != null && rm !== topic.retention_ms) body.retention_ms = rm;
    if (rb != null && rb !== topic.retention_bytes) body.retention_bytes = rb;
    if (Object.keys(body).length === 0) { altResult.textContent = 'Nothing changed.'; return; }
    altResult.textContent = '';
    showTopic(await ctx.api('PATCH', base, body));
    altResult.textContent = `Saved: ${Object.keys(body).join(', ')}.`;
  };

  const del = async () => {
    const ok = await confirmDialog({title: 'Delete topic',
      message: `Delete the topic “${name}” and all of its records? This cannot be undone.`,
      requireText: name, okText: 'Delete topic'});
    if (!ok) return;
    await ctx.api('DELETE', base);
    navigate('/topics', {notice: `Deleted topic ${name}.`});
  };

  showTopic(topic);
  ctx.onQuery = browser.load;
  ctx.show(
    h('div.page-head', null, h('h1', null, 'Topic ', h('span.mono', null, name)),
      h('button#delete-topic.btn.danger', {type: 'button', on: {click: ctx.action(del)}}, 'Delete topic…')),
    info,
    card('Partitions', parts),
    browser.el,
    card('Alter topic',
      h('form.inline-form#alter-topic-form', {novalidate: true, on: {submit: ctx.action(alter)}},
        field('Partitions', altParts, 'can only grow'), field('Retention (ms)', altRetMs, '-1: forever'),
        field('Retention (bytes)', altRetBytes, '-1: unlimited'),
        h('button#alter-topic-submit.btn.primary', {type: 'submit'}, 'Save changes')),
      altResult));
  // The topic shows even when its records cannot be read.
  await browser.load(ctx.params);
}
