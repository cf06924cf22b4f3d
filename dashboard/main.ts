import './styles.css';
import { Connection, LoginRequired, type ConnectionState } from './connection.ts';
import { rememberCredentials, storedCredentials } from './credential-store.ts';
import { credentialsFromFragment } from './credentials.ts';
import { h, replace } from './dom.ts';
import type { Page, PageContext } from './page.ts';
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
const main = h('main', { id: 'page' });
let current: Page | null = null;
let connection: Connection | null = null;

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

function route(): void {
  if (!connection) return;
  current?.dispose();
  const { parts, query } = parseRoute(location.hash);
  const page = ROUTES[parts[0] ?? ''] ?? workflowsPage;
  current = page({ connection, params: parts.slice(1), query });
  replace(main, current.element);
}

function loginForm(reason: string): void {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
  const form = h(
    'form',
    { class: 'login', 'aria-label': 'login' },
    h('h1', {}, 'Log in'),
    h('p', { class: 'message' }, reason),
    h('label', {}, 'User (or "token")', user),
    h('label', {}, 'Password or token', password),
    h('button', { type: 'submit' }, 'Log in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    rememberCredentials({ username: user.value, password: password.value });
    void start();
  });
  replace(main, form);
  user.focus();
}

async function start(): Promise<void> {
  showState('connecting');
  try {
    connection = await Connection.connect(storedCredentials());
  } catch (error) {
    showState('offline');
    if (error instanceof LoginRequired) return loginForm(`The server refused the login (${error.message}).`);
    // The server is away (restarting, say): try again with jitter, as a dropped connection does.
    replace(main, h('p', { class: 'message' }, String((error as Error).message), ' — trying again.'));
    setTimeout(() => void start(), 2000 + Math.random() * 2000);
    return;
  }
  connection.onState(showState);
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
