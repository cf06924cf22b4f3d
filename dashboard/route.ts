/** Routes are URL fragments (`#/execution/12?task=b`): the page is one document, the history still works. */

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
