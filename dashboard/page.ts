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

/** `#/execution/12?task=b` → `['execution', '12']` and the query. */
export function parseRoute(hash: string): { parts: string[]; query: URLSearchParams } {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

export function href(...parts: (string | number)[]): string {
  return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
}

/** Shows an action's failure where the user looks (the page's message line), as `CODE: reason`. */
export function reportError(target: HTMLElement, error: unknown): void {
  const e = error as { code?: string; message?: string };
  target.textContent = e.code ? `${e.code}: ${e.message}` : String(e.message ?? error);
  target.hidden = false;
}
