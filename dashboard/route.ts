/** Routes are URL fragments (`#/execution/12?task=b`): the page is one document, the history still works. */

/** `#/execution/12?task=b` → `['execution', '12']` and the query. */
export function parseRoute(hash: string): { parts: string[]; query: URLSearchParams } {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

/** Keeps a view setting in the address (a reload or a shared link shows the same view), without a history entry. */
export function setRouteQuery(name: string, value: string | null): void {
  const [path = '', search = ''] = location.hash.split('?');
  const query = new URLSearchParams(search);
  if (value === null) query.delete(name);
  else query.set(name, value);
  const text = query.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${path}${text ? `?${text}` : ''}`);
}

export function href(...parts: (string | number)[]): string {
  return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
}
