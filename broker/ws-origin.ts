import type { IncomingMessage } from 'node:http';
import { AIFlowError } from '../protocol/errors.ts';

/**
 * Which browser pages may open an MQTT-over-WebSocket connection. A browser sends the page's `Origin` on the
 * upgrade request and lets any site connect to any WebSocket port, so without this check a page of another site
 * could use the visitor's access to this server. Allowed: requests without `Origin` (non-browser clients), the
 * server's own pages (same scheme, host and port as the request), and the `allowed` origins (`*`: every origin).
 */
export class WebSocketOrigins {
  readonly #any: boolean;
  readonly #allowed: ReadonlySet<string>;
  readonly #scheme: 'http' | 'https';

  constructor(allowed: readonly string[], secure: boolean) {
    this.#any = allowed.includes('*');
    this.#allowed = new Set(allowed.filter((o) => o !== '*').map(normalizeOrigin));
    this.#scheme = secure ? 'https' : 'http';
  }

  /** The request's `Origin` when it is refused; null when it is allowed. */
  refused(request: IncomingMessage): string | null {
    const origin = request.headers.origin;
    if (origin === undefined || this.#any) return null;
    const normalized = tryOrigin(origin);
    if (normalized !== null) {
      if (this.#allowed.has(normalized)) return null;
      const host = request.headers.host;
      if (host !== undefined && normalized === tryOrigin(`${this.#scheme}://${host}`)) return null;
    }
    return origin;
  }
}

/** Validates an allowed origin (`scheme://host[:port]`, as browsers send it) and returns its canonical form. */
export function normalizeOrigin(origin: string): string {
  const normalized = tryOrigin(origin);
  if (normalized === null) {
    throw new AIFlowError(
      'INVALID_OPTION',
      `--ws-origin must be an origin like https://example.com:8443 (or *), got ${JSON.stringify(origin)}`,
    );
  }
  return normalized;
}

/** `new URL(x).origin` for an origin with nothing after the port; null for anything else (e.g. `null`). */
function tryOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '';
  if (!bare || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null;
  return url.origin;
}
