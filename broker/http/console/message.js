// One queue message: state, timings, headers, payload, history, redrive.

import {h, enc, card, stat, stateBadge, messageParts, fmtDuration, fmtTime} from './ui.js';
import {navigate} from './router.js';
import {queueHref, messageHref} from './queues.js';

const queueLink = (q, id) => (q ? h('a.mono', {id, href: queueHref(q)}, q) : h('span.muted', {id}, '—'));

function deadlineText(ms) {
  if (!ms) return '—';
  const left = ms - Date.now();
  return `${fmtTime(ms)} (${left >= 0 ? 'in ' + fmtDuration(left) : fmtDuration(-left) + ' ago'})`;
}

export async function messagePage(ctx, queue, id) {
  const m = await ctx.get(`/api/v1/queues/${enc(queue)}/messages/${enc(id)}`);
  const origin = m.origin_queue || '';
  const parts = messageParts(m, {payload: 'message-payload', headers: 'message-headers', history: 'history-table'});

  // A dead letter goes back to its original queue; show it there afterwards.
  const redrive = async () => {
    const r = await ctx.api('POST', `/api/v1/queues/${enc(m.queue)}/redrive`, {ids: [m.id]});
    const home = origin || m.queue;
    navigate(messageHref(home, m.id), {replace: true, notice: `Moved ${r.moved} message(s) to ${home}.`});
  };

  ctx.show(
    h('div.page-head', null,
      h('h1', null, 'Message ', h('span.mono', null, String(m.id)), ' in ', h('span.mono', null, m.queue)),
      m.state === 'dead_lettered'
        ? h('button#message-redrive.btn.primary', {type: 'button', on: {click: ctx.action(redrive)}},
          `Redrive to ${origin || 'original queue'}`)
        : null),
    h('div.stats', null,
      stat('State', stateBadge(m.state), 'message-state'),
      stat('Attempts', String(m.attempts), 'message-attempts'),
      stat('Deadline', deadlineText(m.deadline_ms), 'message-deadline'),
      h('div.stat', null, h('div.stat-label', null, 'Queue'), h('div.stat-value', null, queueLink(m.queue, 'message-queue'))),
      h('div.stat', null, h('div.stat-label', null, 'Original queue'),
        h('div.stat-value', null, queueLink(origin, 'message-origin'))),
      stat('Priority', String(m.priority ?? 0), 'message-priority'),
      stat('Published', fmtTime(m.publish_ms), 'message-published', 'stat-wide'),
      stat('Expires', m.expires_ms ? fmtTime(m.expires_ms) : 'never', 'message-expires')),
    card('Payload', parts.payload),
    card('Headers', parts.headers),
    card('History', parts.history));
}
