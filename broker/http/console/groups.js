// Consumer groups: list, and one group's members, offsets, lag, reset, delete.

import {
  h, enc, table, td, tdNum, field, card, stat, stateBadge, fmtNum, readNum, InputError, confirmDialog,
  fromLocalInput,
} from './ui.js';
import {navigate} from './router.js';
import {listView} from './lists.js';

const groupHref = (name) => '/groups/' + enc(name);
const lagText = (lag) => (lag == null || lag < 0 ? '—' : fmtNum(lag));

export async function groupsPage(ctx) {
  const list = listView(ctx, {
    base: '/groups', apiPath: '/api/v1/groups', key: 'groups', noun: 'groups',
    ids: {filter: 'group-filter', table: 'groups-table', next: 'groups-next', first: 'groups-first', total: 'groups-total'},
    columns: [['Group'], ['State'], ['Protocol type'], ['Members', 'num'], ['Lag', 'num']],
    row: (g) => h('tr.group', null,
      td(h('a.mono', {href: groupHref(g.group)}, g.group)), td(stateBadge(g.state)), td(g.protocol_type || '—'),
      tdNum(g.members), tdNum(lagText(g.lag))),
  });
  await list.load();
  ctx.show(h('h1', null, 'Consumer groups'), card(null, list.el));
}

const assignmentText = (assignment) => (assignment || [])
  .map((a) => `${a.topic}: ${(a.partitions || []).join(', ')}`).join('; ') || '—';

// Topics the group knows: from its committed offsets and its members' assignments.
function groupTopics(g) {
  const set = new Set((g.partitions || []).map((p) => p.topic));
  for (const m of g.members || []) for (const a of m.assignment || []) set.add(a.topic);
  return [...set].sort();
}

function resetForm(ctx, name, base, reload) {
  const topic = h('select#reset-topic');
  const partition = h('input#reset-partition', {type: 'number', min: 0, step: 1, placeholder: 'all'});
  const to = h('select#reset-to', null, ['earliest', 'latest', 'offset', 'time'].map((v) => h('option', {value: v}, v)));
  const offset = h('input#reset-offset', {type: 'number', min: 0, step: 1});
  const time = h('input#reset-time', {type: 'datetime-local', step: 1});
  const result = h('p#reset-result.result', {role: 'status'});
  offset.addEventListener('input', () => { to.value = 'offset'; });
  time.addEventListener('input', () => { to.value = 'time'; });

  let shown = '';
  const setTopics = (topics) => {
    if (topics.join('\n') === shown) return;  // keep the user's choice across refreshes
    shown = topics.join('\n');
    const keep = topic.value;
    topic.replaceChildren(...(topics.length ? topics.map((t) => h('option', {value: t}, t))
      : [h('option', {value: ''}, '(no topics)')]));
    if (topics.includes(keep)) topic.value = keep;
  };

  const submit = async () => {
    if (!topic.value) throw new InputError('choose a topic');
    const body = {topic: topic.value, to: to.value};
    const p = readNum(partition, 'partition');
    if (p != null) body.partition = p;
    if (to.value === 'offset') {
      body.offset = readNum(offset, 'offset');
      if (body.offset == null) throw new InputError('give the offset to reset to');
    } else if (to.value === 'time') {
      body.time_ms = fromLocalInput(time.value);
      if (body.time_ms == null) throw new InputError('give the time to reset to');
    }
    result.textContent = '';
    const r = await ctx.api('POST', `${base}/reset-offsets`, body);
    const offs = (r && r.offsets) || [];
    result.textContent = `Reset ${offs.length} partition(s) of ${r.topic || body.topic}: ` +
      (offs.map((o) => `${o.partition} → ${o.offset}`).join(', ') || 'none');
    await reload();
  };

  const el = card('Reset offsets',
    h('p.muted', null, 'Only while the group has no members (the broker answers group_not_empty otherwise).'),
    h('form.inline-form#reset-form', {novalidate: true, on: {submit: ctx.action(submit)}},
      field('Topic', topic), field('Partition', partition, 'blank: all'), field('To', to),
      field('Offset', offset), field('Time (local)', time),
      h('button#reset-submit.btn.primary', {type: 'submit'}, 'Reset offsets')),
    result);
  return {el, setTopics};
}

export async function groupPage(ctx, name) {
  const base = '/api/v1/groups/' + enc(name);
  const info = h('div.stats');
  const members = h('div.table-wrap');
  const parts = h('div.table-wrap');
  let prevLag = null;  // lag per topic/partition at the previous refresh

  const show = (g) => {
    info.replaceChildren(
      stat('State', stateBadge(g.state), 'group-state'),
      stat('Protocol type', g.protocol_type || '—', 'group-protocol-type'),
      stat('Protocol', g.protocol || '—', 'group-protocol'),
      stat('Generation', String(g.generation ?? '—'), 'group-generation'),
      stat('Leader', g.leader || '—', 'group-leader', 'stat-wide'),
      stat('Members', fmtNum((g.members || []).length), 'group-members'),
      stat('Total lag', lagText(g.lag), 'group-lag'));
    members.replaceChildren(table('members-table',
      [['Member id'], ['Client id'], ['Host'], ['Instance id'], ['Assigned partitions']],
      (g.members || []).map((m) => h('tr.member', null,
        td([h('span.mono', null, m.member_id), m.member_id === g.leader ? [' ', h('span.badge.leader', null, 'leader')] : null]),
        td(m.client_id || '—'), td(m.client_host || '—'), td(m.instance_id || '—'),
        td(assignmentText(m.assignment), 'mono'))),
      'No members.'));
    const lagNow = new Map();
    const rows = [...(g.partitions || [])]
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
      .map((p) => {
        const key = p.topic + '\u0000' + p.partition;
        lagNow.set(key, p.lag);
        const was = prevLag && prevLag.get(key);
        const growing = was != null && was >= 0 && p.lag > was;
        return h('tr.group-partition', {class: growing ? 'lag-growing' : null},
          td(h('a.mono', {href: '/topics/' + enc(p.topic)}, p.topic)),
          h('td.num.mono', null, String(p.partition)),
          h('td.num.mono', null, p.committed < 0 ? '—' : String(p.committed)),
          h('td.num.mono', null, String(p.log_end)),
          h('td.num', null, growing ? h('span.lag-arrow', {title: `up from ${fmtNum(was)}`}, '▲ ') : null, lagText(p.lag)),
          td(p.member_id ? h('span.mono', null, p.member_id) : '—'));
      });
    prevLag = lagNow;
    parts.replaceChildren(table('group-partitions-table',
      [['Topic'], ['Partition', 'num'], ['Committed', 'num'], ['Log end', 'num'], ['Lag', 'num'], ['Member']],
      rows, 'No committed offsets.'));
    reset.setTopics(groupTopics(g));
  };

  const load = async () => show(await ctx.sub('group').get(base));
  const reset = resetForm(ctx, name, base, load);

  const del = async () => {
    const ok = await confirmDialog({title: 'Delete group',
      message: `Delete the consumer group “${name}” and its committed offsets?`, requireText: name, okText: 'Delete group'});
    if (!ok) return;
    await ctx.api('DELETE', base);
    navigate('/groups', {notice: `Deleted group ${name}.`});
  };

  await load();
  ctx.show(
    h('div.page-head', null, h('h1', null, 'Group ', h('span.mono', null, name)),
      h('span.muted.refresh-note', null, 'refreshes every 5 s'),
      h('button#delete-group.btn.danger', {type: 'button', on: {click: ctx.action(del)}}, 'Delete group…')),
    info,
    card('Members', members),
    card('Committed offsets and lag', parts),
    reset.el);
  ctx.every(5000, load);
}
