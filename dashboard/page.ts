import type { Connection } from './connection.ts';

/** What every page gets: the connection, its route parameters and the query string of the route. */
export interface PageContext {
  connection: Connection;
  params: string[];
  query: URLSearchParams;
}

/** A mounted page; `dispose` drops its subscriptions and timers when the route changes. */
export interface Page {
  element: HTMLElement;
  dispose(): void;
}

/** Shows an action's failure where the user looks (the page's message line), as `CODE: reason`. */
export function reportError(target: HTMLElement, error: unknown): void {
  const e = error as { code?: string; message?: string };
  target.textContent = e.code ? `${e.code}: ${e.message}` : String(e.message ?? error);
  target.hidden = false;
}
