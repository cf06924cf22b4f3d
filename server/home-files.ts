import { join } from 'node:path';

/** Where the server leaves the scheduler's secret for a scheduler started apart (`aiflow scheduler start`). */
export function schedulerTokenFile(home: string): string {
  return join(home, 'scheduler.token');
}

/**
 * What the server's own clients trust under TLS (its certificate and `--tls-ca`), written at each start: the
 * scheduler child and its tasks read it through `AIFLOW_CA`.
 */
export function serverTrustFile(home: string): string {
  return join(home, 'server-trust.pem');
}

/** The scheduler's store, whose lease row the broker reads to check the scheduler's fencing token. */
export function metadataFile(home: string): string {
  return join(home, 'metadata.db');
}
