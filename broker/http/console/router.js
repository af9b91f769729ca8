// History API routing and the per-page context. Every navigation makes a
// new context; answers that arrive for a dead context are dropped (STALE),
// and its timers are stopped, so an old page never draws over a new one.

import {api, clearError, showError, showNotice} from './api.js';
import {closeDialog, h} from './ui.js';

export const STALE = Symbol('stale');

let renderer = () => {};
let pendingNotice = null;

export function setRenderer(fn) { renderer = fn; }

// navigate('/topics?prefix=a', {replace, notice}); notice shows after it.
export function navigate(url, {replace = false, notice = null} = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  pendingNotice = notice;
  renderer();
}

export const currentUrl = () => location.pathname + location.search;

// Called by the renderer at the start of each navigation.
export function beginNavigation() {
  clearError();
  closeDialog();
  showNotice(pendingNotice);
  pendingNotice = null;
}

export class PageCtx {
  constructor(path, params, main) {
    this.path = path;
    this.params = params;
    this.main = main;
    this.dead = false;
    this.timers = [];
    this.seqs = {};
    this.onQuery = null;  // set by pages that redraw part of themselves on ?query changes
    this.loaded = false;
  }

  alive() { return !this.dead; }

  kill() {
    this.dead = true;
    for (const t of this.timers) { clearInterval(t); clearTimeout(t); }
    this.timers = [];
  }

  title(t) { if (this.alive()) document.title = t + ' · Wharf'; }

  // Shows the page body once its first data is in.
  show(...nodes) {
    if (!this.alive()) return;
    this.main.replaceChildren(...nodes);
    this.loaded = true;
  }

  async api(method, path, body, opts) {
    let r;
    try { r = await api(method, path, body, opts); } catch (e) {
      if (this.dead) throw STALE;
      throw e;
    }
    if (this.dead) throw STALE;
    return r;
  }

  get(path) { return this.api('GET', path); }

  // A guard for one kind of repeated load: only the newest answer counts.
  sub(key) {
    const n = (this.seqs[key] = (this.seqs[key] || 0) + 1);
    const check = (r) => { if (this.seqs[key] !== n) throw STALE; return r; };
    return {get: (path) => this.get(path).then(check, (e) => { check(); throw e; })};
  }

  fail(e) {
    if (e === STALE || this.dead) return;
    showError(e);
    if (!this.loaded) {
      this.main.replaceChildren(h('p.load-failed', null, 'This page could not be loaded; see the error above.'));
    }
  }

  // An event handler that runs an async action and reports its errors.
  // A form's submit button is disabled while it runs (no double submits).
  action(fn) {
    return (ev) => {
      let btn = null;
      if (ev && ev.type === 'submit') {
        ev.preventDefault();
        btn = ev.submitter || ev.target.querySelector('button[type=submit]');
        if (btn) btn.disabled = true;
      }
      Promise.resolve().then(() => fn(ev)).catch((e) => this.fail(e))
        .finally(() => { if (btn) btn.disabled = false; });
    };
  }

  // Repeats fn every ms while the page is shown; skips a beat if still busy.
  every(ms, fn) {
    let busy = false;
    this.timers.push(setInterval(() => {
      if (busy || this.dead) return;
      busy = true;
      Promise.resolve().then(fn).catch((e) => this.fail(e)).finally(() => { busy = false; });
    }, ms));
  }

  timeout(ms, fn) {
    const t = setTimeout(() => { if (!this.dead) fn(); }, ms);
    this.timers.push(t);
    return t;
  }
}

// Intercepts plain left clicks on same-origin console links.
export function interceptLinks() {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest && e.target.closest('a[href]');
    if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || /^\/(api|assets)\//.test(u.pathname) ||
        /^\/(metrics|livez|readyz)$/.test(u.pathname)) return;
    e.preventDefault();
    // The same address again reloads it, without a new history entry.
    const url = u.pathname + u.search;
    navigate(url, {replace: url === currentUrl()});
  });
}
