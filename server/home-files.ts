import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMIN_CREDENTIAL_FILE,
  parseCredentialFile,
  type Credentials,
} from '../protocol/admin-credential.ts';

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

/** The first admin's login, written by the server at its first start (mode 0600). */
export function adminCredentialFile(home: string): string {
  return join(home, ADMIN_CREDENTIAL_FILE);
}

/** The home's admin login; undefined without a readable credential file. */
export function readAdminCredential(home: string): Credentials | undefined {
  try {
    return parseCredentialFile(readFileSync(adminCredentialFile(home), 'utf8'));
  } catch {
    return undefined;
  }
}
