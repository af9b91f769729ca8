// Entry point: the route table, the header, the session at startup.

import {api, setSession, onSessionChange, onUnauthorized, showError} from './api.js';
import {h, enc} from './ui.js';
import {setRenderer, navigate, currentUrl, beginNavigation, PageCtx, interceptLinks} from './router.js';
import {overviewPage} from './overview.js';
import {loginPage} from './login.js';
import {topicsPage, topicPage} from './topics.js';
import {groupsPage, groupPage} from './groups.js';
import {queuesPage, queuePage} from './queues.js';
import {messagePage} from './message.js';

const ROUTES = [
  {re: /^\/$/, page: overviewPage, nav: 'overview', title: () => 'Overview'},
  {re: /^\/login$/, page: loginPage, title: () => 'Sign in'},
  {re: /^\/topics$/, page: topicsPage, nav: 'topics', title: () => 'Topics'},
  {re: /^\/topics\/([^/]+)$/, page: topicPage, nav: 'topics', title: (n) => `Topic ${n}`},
  {re: /^\/groups$/, page: groupsPage, nav: 'groups', title: () => 'Groups'},
  {re: /^\/groups\/([^/]+)$/, page: groupPage, nav: 'groups', title: (n) => `Group ${n}`},
  {re: /^\/queues$/, page: queuesPage, nav: 'queues', title: () => 'Queues'},
  {re: /^\/queues\/([^/]+)$/, page: queuePage, nav: 'queues', title: (n) => `Queue ${n}`},
  {re: /^\/queues\/([^/]+)\/messages\/([^/]+)$/, page: messagePage, nav: 'queues',
    title: (q, id) => `Message ${id} in ${q}`},
];

let current = null;

function setActiveNav(name) {
  for (const a of document.querySelectorAll('#nav a[data-nav]')) {
    const on = a.dataset.nav === name;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

function render() {
  const url = new URL(location.href);
  const path = url.pathname.replace(/\/+$/, '') || '/';
  beginNavigation();
  // Same page, other query (pagination, filter, records window): the page
  // redraws only the part that depends on it.
  if (current && !current.dead && current.path === path && current.onQuery) {
    const ctx = current;
    ctx.params = url.searchParams;
    Promise.resolve().then(() => ctx.onQuery(url.searchParams)).catch((e) => ctx.fail(e));
    return;
  }
  if (current) current.kill();
  const main = document.getElementById('main');
  const ctx = (current = new PageCtx(path, url.searchParams, main));
  let route = null;
  let args = [];
  for (const r of ROUTES) {
    const m = r.re.exec(path);
    if (m) { route = r; args = m.slice(1); break; }
  }
  try { args = args.map(decodeURIComponent); } catch { route = null; }
  setActiveNav(route && route.nav);
  window.scrollTo(0, 0);
  if (!route) {
    ctx.title('Not found');
    ctx.show(h('h1', null, 'Page not found'), h('p', null, h('a', {href: '/'}, 'Back to the overview')));
    return;
  }
  ctx.title(route.title(...args));
  main.replaceChildren(h('p.loading', null, 'Loading…'));
  Promise.resolve().then(() => route.page(ctx, ...args)).catch((e) => ctx.fail(e));
}

function updateNav(s) {
  const user = document.getElementById('nav-user');
  user.textContent = s.user ? s.user + (s.admin ? ' (admin)' : '') : '';
  user.hidden = !s.user;
  document.getElementById('logout').hidden = !(s.auth_required && s.user);
}

async function logout() {
  try {
    await api('POST', '/api/v1/logout', undefined, {noRedirect: true});
  } catch (e) {
    if (e.status !== 401) { showError(e); return; }  // 401: the session was gone already
  }
  setSession({user: null, admin: false, csrf_token: null});
  navigate('/login');
}

const toLogin = () => navigate('/login?next=' + enc(currentUrl()), {replace: true});

async function start() {
  interceptLinks();
  setRenderer(render);
  window.addEventListener('popstate', render);
  onSessionChange(updateNav);
  onUnauthorized(() => {
    setSession({auth_required: true, user: null, admin: false});
    if (location.pathname !== '/login') toLogin();
  });
  document.getElementById('logout').addEventListener('click', logout);
  try {
    setSession(await api('GET', '/api/v1/session', undefined, {noRedirect: true}));
  } catch (e) {
    if (e.status === 401) {
      // Not signed in; the 401 may still carry a token for the login POST.
      setSession({auth_required: true, user: null, csrf_token: (e.body && e.body.csrf_token) || null});
      if (location.pathname !== '/login') { toLogin(); return; }
    } else {
      render();
      showError(e);
      return;
    }
  }
  render();
}

start();
