// The sign-in page (only reached when the broker has authentication on).

import {session, setSession, errorText, showError} from './api.js';
import {h, field} from './ui.js';
import {navigate} from './router.js';

// Only a path on this site: '/x' but not '//evil.example' or '/\evil'.
function safeNext(next) {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next.startsWith('/login') ? '/' : next;
}

export async function loginPage(ctx) {
  const next = safeNext(ctx.params.get('next'));
  // Ask again: the session may have changed in another tab.
  try {
    const s = await ctx.api('GET', '/api/v1/session', undefined, {noRedirect: true});
    setSession(s);
    if (!s.auth_required || s.user) { navigate(next, {replace: true}); return; }
  } catch (e) {
    if (e.status !== 401) throw e;
    setSession({auth_required: true, user: null, csrf_token: (e.body && e.body.csrf_token) || session.csrf_token});
  }

  const user = h('input#login-user', {type: 'text', name: 'username', autocomplete: 'username'});
  const password = h('input#login-password', {type: 'password', name: 'password', autocomplete: 'current-password'});
  const error = h('p#login-error.form-error', {role: 'alert'});
  const submit = async () => {
    error.textContent = '';
    try {
      const s = await ctx.api('POST', '/api/v1/login', {user: user.value, password: password.value}, {noRedirect: true});
      setSession(s);
      navigate(next, {replace: true});
    } catch (e) {
      if (e && e.code) { error.textContent = errorText(e); showError(e); password.select(); return; }
      throw e;
    }
  };
  const form = h('form.login-form', {novalidate: true, on: {submit: ctx.action(submit)}},
    h('h1', null, 'Sign in to Wharf'),
    field('User', user),
    field('Password', password),
    error,
    h('button#login-submit.btn.primary', {type: 'submit'}, 'Sign in'));
  ctx.show(h('div.login-wrap', null, form));
  user.focus();
}
