import './styles.css';
import { Connection, LoginRequired, type ConnectionState } from './connection.ts';
import { rememberCredentials, storedCredentials } from './credential-store.ts';
import { credentialsFromFragment, loginOf } from './credentials.ts';
import { h, replace } from './dom.ts';
import type { Page, PageContext } from './page.ts';
import { Permissions, type WhoAmI } from './permissions.ts';
import { parseRoute } from './route.ts';
import { eventsPage } from './pages/events.ts';
import { executionPage } from './pages/execution.ts';
import { workflowPage } from './pages/workflow.ts';
import { workflowsPage } from './pages/workflows.ts';

const ROUTES: Record<string, (context: PageContext) => Page> = {
  '': workflowsPage,
  workflows: workflowsPage,
  workflow: workflowPage,
  execution: executionPage,
  events: eventsPage,
};

const indicator = h('span', { class: 'connection', role: 'status', 'aria-live': 'polite' }, 'connecting');
const identity = h('span', { class: 'identity' });
const main = h('main', { id: 'page' });
let current: Page | null = null;
let connection: Connection | null = null;
let permissions = new Permissions(null);

function shell(): void {
  const theme = h('button', { type: 'button', class: 'theme', title: 'light / dark / system' }, 'theme');
  theme.addEventListener('click', cycleTheme);
  document.body.append(
    h(
      'header',
      {},
      h('a', { href: '#/', class: 'brand' }, 'aiflow'),
      h('nav', {}, h('a', { href: '#/workflows' }, 'Workflows'), h('a', { href: '#/events' }, 'Events')),
      indicator,
      identity,
      theme,
    ),
    main,
  );
  applyTheme();
}

function showState(state: ConnectionState): void {
  indicator.textContent =
    state === 'online' ? '● connected' : state === 'offline' ? '○ offline' : '◌ connecting';
  indicator.dataset.state = state;
}

/** Who the page acts as, with a way to log in (as someone else) or out; nothing when access control is off. */
function showIdentity(): void {
  const name = permissions.name;
  const loggedIn = storedCredentials() !== null;
  const logOut = h('button', { type: 'button', class: 'link' }, 'log out');
  logOut.addEventListener('click', () => {
    rememberCredentials(null);
    location.hash = '#/';
    location.reload();
  });
  // Access control off and no login given: nobody to name, nothing to log into.
  if (name === null && !loggedIn) return replace(identity);
  replace(
    identity,
    name === null ? '' : [h('span', { 'data-user': name }, name), ' · '],
    loggedIn ? logOut : h('a', { href: '#/login' }, 'log in'),
  );
}

function route(): void {
  if (!connection) return;
  current?.dispose();
  current = null;
  const { parts, query } = parseRoute(location.hash);
  if (parts[0] === 'login') return loginForm('Log in with a user name and password, or paste a token.');
  const page = ROUTES[parts[0] ?? ''] ?? workflowsPage;
  current = page({ connection, permissions, params: parts.slice(1), query });
  replace(main, current.element);
}

function loginForm(reason: string): void {
  const user = h('input', { name: 'user', autocomplete: 'username' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const form = h(
    'form',
    { class: 'login', 'aria-label': 'login' },
    h('h1', {}, 'Log in'),
    h('p', { class: 'message' }, reason),
    h('label', {}, 'User (empty with a token)', user),
    h('label', {}, 'Password or token', password),
    h('button', { type: 'submit' }, 'Log in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    rememberCredentials(loginOf(user.value.trim(), password.value));
    connection?.close();
    connection = null;
    if (parseRoute(location.hash).parts[0] === 'login') history.replaceState(null, '', '#/');
    void start();
  });
  replace(main, form);
  user.focus();
}

async function start(): Promise<void> {
  showState('connecting');
  const credentials = storedCredentials();
  // A password needs a user name: none here means the token given was not of the token form.
  if (credentials?.username === '') {
    showState('offline');
    return loginForm('That is not a token (aft_…): give a user name, or paste the whole token.');
  }
  try {
    connection = await Connection.connect(credentials);
  } catch (error) {
    showState('offline');
    if (error instanceof LoginRequired) return loginForm(`The server refused the login (${error.message}).`);
    // The server is away (restarting, say): try again with jitter, as a dropped connection does.
    replace(main, h('p', { class: 'message' }, String((error as Error).message), ' — trying again.'));
    setTimeout(() => void start(), 2000 + Math.random() * 2000);
    return;
  }
  const opened = connection;
  // A connection closed by a new login may still report its end: only the current one shows its state.
  opened.onState((state) => opened === connection && showState(state));
  permissions = new Permissions(await connection.call<WhoAmI>('access.whoami').catch(() => null));
  showIdentity();
  route();
}

function cycleTheme(): void {
  const order = ['system', 'light', 'dark'];
  const now = localStorage.getItem('aiflow.theme') ?? 'system';
  localStorage.setItem('aiflow.theme', order[(order.indexOf(now) + 1) % order.length]!);
  applyTheme();
}

function applyTheme(): void {
  const theme = localStorage.getItem('aiflow.theme') ?? 'system';
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

// Credentials in the fragment are taken once, then removed from the address bar (and from the history).
const fromFragment = credentialsFromFragment(location.hash);
if (fromFragment) {
  rememberCredentials(fromFragment);
  history.replaceState(null, '', location.pathname + location.search + '#/');
}
shell();
window.addEventListener('hashchange', route);
void start();
