import type { Connection } from './connection.ts';
import { h, replace } from './dom.ts';
import type { Permissions } from './permissions.ts';

/**
 * What every page gets: the connection, what its caller may do (actions it may not take are left out), its route
 * parameters and the query string of the route.
 */
export interface PageContext {
  connection: Connection;
  permissions: Permissions;
  params: string[];
  query: URLSearchParams;
}

/** A mounted page; `dispose` drops its subscriptions and timers when the route changes. */
export interface Page {
  element: HTMLElement;
  dispose(): void;
}

/**
 * Shows an action's failure where the user looks (the page's message line), as `CODE: reason`; a refusal
 * (FORBIDDEN) offers to log in as someone who may.
 */
export function reportError(target: HTMLElement, error: unknown): void {
  const e = error as { code?: string; message?: string };
  replace(
    target,
    e.code ? `${e.code}: ${e.message}` : String(e.message ?? error),
    e.code === 'FORBIDDEN' ? [' — ', h('a', { href: '#/login' }, 'log in'), ' as someone who may.'] : '',
  );
  target.hidden = false;
}
