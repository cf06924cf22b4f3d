import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../broker/logger.ts';
import { loadDashboard } from './dashboard-bundle.ts';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aiflow</title>
<link rel="stylesheet" href="dashboard.css">
<script type="module" src="dashboard.js"></script>
</head>
<body></body>
</html>
`;

/** The page loads only its own files and talks only to its own origin (MQTT over this listener's WebSocket). */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
  "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The web dashboard on the WebSocket listener: `/` (the page), `/dashboard.js` and `/dashboard.css`. The page is an
 * ordinary MQTT client of this server over the same port. Returns false for any other path.
 */
export function serveDashboard(request: IncomingMessage, response: ServerResponse, logger: Logger): boolean {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (!['/', '/index.html', '/dashboard.js', '/dashboard.css'].includes(path)) return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return true;
  }
  const headers = {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
  };
  if (path === '/' || path === '/index.html') {
    response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    return true;
  }
  loadDashboard().then(
    (bundle) => {
      const js = path === '/dashboard.js';
      response
        .writeHead(200, {
          ...headers,
          'content-type': js ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
        })
        .end(js ? bundle.js : bundle.css);
    },
    (error: unknown) => {
      logger.error('dashboard bundle failed', { reason: (error as Error).message });
      response.writeHead(500).end();
    },
  );
  return true;
}
