// Overview: broker facts, storage, connections, counts and the rate chart.

import {h, card, stat, badge, fmtBytes, fmtDuration, fmtNum, fmtTime, rateChart} from './ui.js';

function storageCard(st) {
  const used = st.used_bytes || 0;
  const map = st.map_bytes || 0;
  const pct = map > 0 ? Math.min(100, (used / map) * 100) : 0;
  const fill = h('div.bar-fill', {class: pct > 90 ? 'bar-danger' : pct > 75 ? 'bar-warn' : ''});
  fill.style.width = pct.toFixed(1) + '%';  // CSSOM, allowed by the CSP
  return card('Storage',
    st.healthy
      ? h('p#ov-storage-health.health-ok', null, badge('healthy', 'ok'))
      : h('div#ov-storage-health.storage-error', {role: 'alert'},
        h('strong', null, 'Storage is not healthy'), h('div', null, st.error || 'no error text given')),
    h('div.storage-line', null, h('span#ov-storage-used', null, fmtBytes(used)), ' used of ',
      h('span#ov-storage-map', null, fmtBytes(map)), ' map size ', h('span.muted', null, `(${pct.toFixed(1)}%)`)),
    h('div.bar', {role: 'progressbar', 'aria-valuenow': pct.toFixed(0), 'aria-valuemin': 0, 'aria-valuemax': 100}, fill));
}

function build(o) {
  const conn = o.connections || {};
  const up = stat('Uptime', fmtDuration((o.uptime_s || 0) * 1000), 'ov-uptime');
  up.title = 'started ' + fmtTime(o.started_ms);
  return [
    h('div.stats', null,
      stat('Version', o.version, 'ov-version'),
      up,
      stat('Durability', o.durability, 'ov-durability'),
      stat('Native connections', fmtNum(conn.native), 'ov-conn-native'),
      stat('Kafka connections', fmtNum(conn.kafka), 'ov-conn-kafka'),
      stat('Topics', h('a', {href: '/topics'}, fmtNum(o.topics)), 'ov-topics'),
      stat('Queues', h('a', {href: '/queues'}, fmtNum(o.queues)), 'ov-queues'),
      stat('Groups', h('a', {href: '/groups'}, fmtNum(o.groups)), 'ov-groups')),
    h('div.columns', null,
      storageCard(o.storage || {}),
      card(`Messages per second (every ${(o.rates && o.rates.interval_s) || 5} s, last 10 min)`,
        rateChart(o.rates && o.rates.samples))),
  ];
}

export async function overviewPage(ctx) {
  const body = h('div#overview');
  const load = async () => {
    const guard = ctx.sub('overview');
    const o = await guard.get('/api/v1/overview');
    body.replaceChildren(...build(o));
  };
  await load();
  ctx.show(h('h1', null, 'Overview'), body);
  ctx.every(5000, load);
}
