// A paginated, prefix-filtered list of names (topics, groups, queues).
// Filter and cursor live in the address (?prefix=&after=), so back works;
// only one page (at most `limit`, default 100) is ever drawn.

import {busy, h, qs, table, fmtNum} from './ui.js';
import {navigate} from './router.js';

export function listView(ctx, {base, apiPath, key, noun, ids, columns, row}) {
  const filter = h('input', {id: ids.filter, type: 'search', placeholder: 'Filter by name prefix',
    autocomplete: 'off', spellcheck: 'false', 'aria-label': `Filter ${noun} by name prefix`});
  const total = h('span.muted', {id: ids.total});
  const holder = h('div.table-wrap');
  const next = h('button.btn.secondary', {id: ids.next, type: 'button'}, 'Next page →');
  const first = h('button.btn.secondary', {id: ids.first, type: 'button'}, '⇤ First page');
  let cur = {prefix: '', next: null, limit: null};

  const load = async (params) => {
    const prefix = params.get('prefix') || '';
    const after = params.get('after') || '';
    const limit = params.get('limit') || null;
    if (document.activeElement !== filter) filter.value = prefix;
    const d = await busy(holder, ctx.sub('list').get(apiPath + qs({prefix, after, limit})));
    const items = d[key] || [];
    holder.replaceChildren(table(ids.table, columns, items.map(row),
      prefix ? `No ${noun} whose name starts with “${prefix}”.` : `No ${noun}.`));
    total.textContent = `${fmtNum(d.total ?? items.length)} ${noun}` +
      (prefix ? ` matching “${prefix}”` : '') + (after ? ` · page after “${after}”` : '');
    cur = {prefix, next: d.next ?? null, limit};
    next.disabled = cur.next == null || cur.next === '';
    first.disabled = !after;
  };

  // Typing refines the list in place (replace: no history entry per key).
  let debounce = null;
  const applyFilter = () => navigate(base + qs({prefix: filter.value, limit: cur.limit}), {replace: true});
  filter.addEventListener('input', () => { clearTimeout(debounce); debounce = ctx.timeout(300, applyFilter); });
  filter.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); clearTimeout(debounce); applyFilter(); }
  });
  next.addEventListener('click', () => navigate(base + qs({prefix: cur.prefix, after: cur.next, limit: cur.limit})));
  first.addEventListener('click', () => navigate(base + qs({prefix: cur.prefix, limit: cur.limit})));

  ctx.onQuery = load;
  const el = h('div.list', null,
    h('div.toolbar', null, filter, total),
    holder,
    h('div.pager', null, first, next));
  return {el, load: () => load(ctx.params)};
}
