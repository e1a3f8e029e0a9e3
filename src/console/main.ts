// The operator console's entry: sign-in, the shell (skip link, navigation, who is signed in) and a hash
// router over four pages. Each page starts polling when shown and stops when left.
import { api, ApiError, forgetToken, storedToken, storeToken } from './api.js';
import { h, replace } from './dom.js';
import { showComparison } from './pages/comparison.js';
import { showDatasets } from './pages/datasets.js';
import { showExperiments } from './pages/experiments.js';
import { showRoutes } from './pages/routes.js';

export type Role = 'viewer' | 'operator' | 'admin';
export interface Session {
  readonly name: string;
  readonly role: Role;
  readonly canOperate: boolean;
  /** Announces a result to screen readers and shows it under the page title. */
  say(message: string, kind?: 'ok' | 'error'): void;
  /** An API failure: a lapsed token returns to sign-in, anything else is said. */
  fail(err: unknown): void;
}
export type Stop = () => void;

const root = document.getElementById('app')!;
let stopPage: Stop | undefined;

function signIn(message?: string): void {
  stopPage?.();
  stopPage = undefined;
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-help' });
  const error = h('p', { id: 'signin-error', class: 'error', role: 'alert' }, message ?? '');
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'shadowgate console'),
    h('label', { for: 'token' }, 'Admin API token'),
    input,
    h('p', { id: 'token-help', class: 'help' }, 'Kept in this tab only (session storage) and sent as a Bearer header.'),
    h('button', { type: 'submit' }, 'Sign in'),
    error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    storeToken(input.value.trim());
    void start();
  });
  replace(root, h('main', { id: 'main' }, form));
  input.focus();
}

async function start(): Promise<void> {
  if (storedToken() === null) return signIn();
  let who: { token?: string; role?: string };
  try {
    who = await api('GET', '/admin/whoami');
  } catch (err) {
    forgetToken();
    return signIn(err instanceof ApiError && err.status === 401 ? 'That token was not accepted.' : `Sign-in failed: ${(err as Error).message}`);
  }
  const role: Role = who.role === 'admin' || who.role === 'operator' ? who.role : 'viewer';
  const status = h('p', { id: 'status', role: 'status', 'aria-live': 'polite', class: 'status' });
  const session: Session = {
    name: who.token ?? 'unknown', role, canOperate: role !== 'viewer',
    say(message, kind = 'ok') {
      status.className = `status ${kind}`;
      status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
      status.textContent = message;
    },
    fail(err) {
      if (err instanceof ApiError && err.status === 401) {
        forgetToken();
        signIn('The session ended: sign in again.');
        return;
      }
      this.say(err instanceof ApiError ? `${err.code}: ${err.message}` : String((err as Error).message ?? err), 'error');
    },
  };
  const main = h('main', { id: 'main', tabindex: -1 });
  const nav = h('nav', { 'aria-label': 'Console pages' },
    h('a', { href: '#/routes' }, 'Routes'), h('a', { href: '#/experiments' }, 'Experiments'), h('a', { href: '#/datasets' }, 'Datasets'));
  const signOut = h('button', { type: 'button', class: 'link' }, 'Sign out');
  signOut.addEventListener('click', () => {
    forgetToken();
    location.hash = '';
    signIn();
  });
  replace(root,
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h('header', {}, h('span', { class: 'brand' }, 'shadowgate'), nav,
      h('span', { class: 'who' }, `Signed in as ${session.name} (${role})`), signOut),
    status, main);
  const route = () => {
    stopPage?.();
    session.say('');
    const hash = location.hash.replace(/^#\/?/, '');
    const [page, name] = hash.split('/');
    for (const a of nav.querySelectorAll('a')) {
      if (a.getAttribute('href') === `#/${page === 'route' ? 'routes' : page ?? ''}`) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (page === 'route' && name) stopPage = showComparison(main, session, decodeURIComponent(name));
    else if (page === 'datasets') stopPage = showDatasets(main, session);
    else if (page === 'experiments') stopPage = showExperiments(main, session);
    else stopPage = showRoutes(main, session);
    main.focus({ preventScroll: true });
  };
  window.onhashchange = route;
  route();
}

void start();
