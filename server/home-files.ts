import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
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

/**
 * The key task logins are derived from (`protocol/task-credential.ts`), made at the first start and kept (mode
 * 0600): unlike the scheduler token it survives a restart, so tasks adopted across one keep a valid login.
 */
export function taskKeyFile(home: string): string {
  return join(home, 'task-credential.key');
}

/** The home's task key, made now if the home has none yet (exclusively: two processes end with the same key). */
export function readTaskKey(home: string): string {
  const file = taskKeyFile(home);
  try {
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
