import { isIP } from 'node:net';

/** Only the host's own interfaces: `127.0.0.0/8`, `::1` and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
