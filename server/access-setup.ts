import { randomBytes } from 'node:crypto';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopbackHost } from './loopback.ts';
import type { BrokerAccessOptions } from '../broker/broker-server.ts';
import { IdentityStore } from '../broker/identity-store.ts';
import type { Logger } from '../broker/logger.ts';
import { parseGrant, formatGrant, type Grant } from '../protocol/access-roles.ts';
import { ADMIN_USERNAME } from '../protocol/admin-credential.ts';
import { adminCredentialFile } from './home-files.ts';

export interface ServerAccessOptions {
  /**
   * Grants of clients that connect without a user name; null refuses them.
   * @defaultValue `publisher@default` on a loopback host; null (refused) on any other host
   */
  anonymous?: readonly Grant[] | null;
  /** Most connections one identity may hold at once. @defaultValue 1000 */
  maxConnectionsPerIdentity?: number;
  /** Entries the audit trail keeps; the oldest go first. @defaultValue 100000 */
  auditMaxEntries?: number;
}

/** What anonymous clients of a loopback listener may do by default: send and read events of `default`. */
export const LOOPBACK_ANONYMOUS: readonly Grant[] = [parseGrant('publisher@default')];

export function accessFile(home: string): string {
  return join(home, 'access.db');
}

/**
 * Access control of a server (`adminCreated`: the credential file written at this start, if any): users and tokens in `<home>/access.db`. On the first start (no user yet) it makes the
 * user `admin` with a random password and writes `<home>/admin.credential` (mode 0600), which the CLI and SDK on
 * this machine read when given no credentials: whoever can read the home is the admin anyway.
 */
export async function prepareAccess(
  home: string,
  host: string,
  options: ServerAccessOptions,
  logger: Logger,
): Promise<BrokerAccessOptions & { adminCreated: string | null }> {
  const file = accessFile(home);
  const identities = IdentityStore.open(file);
  let created: string | null = null;
  try {
    if (!identities.hasUsers()) {
      const password = randomBytes(18).toString('base64url');
      await identities.addUser(ADMIN_USERNAME, password, [parseGrant('admin@*')]);
      const credential = adminCredentialFile(home);
      rmSync(credential, { force: true });
      writeFileSync(credential, JSON.stringify({ username: ADMIN_USERNAME, password }) + '\n', {
        mode: 0o600,
      });
      chmodSync(credential, 0o600);
      created = credential;
    }
  } finally {
    identities.close();
  }
  const loopback = isLoopbackHost(host);
  const anonymous =
    options.anonymous !== undefined ? options.anonymous : loopback ? LOOPBACK_ANONYMOUS : null;
  if (!loopback) {
    if (anonymous === null) {
      logger.warn('anonymous connections refused on a network listener', {
        host,
        allow: '--allow-anonymous',
      });
    } else {
      logger.warn('anonymous connections allowed on a network listener', {
        host,
        grants: anonymous.map(formatGrant).join(' '),
      });
    }
  }
  return {
    file,
    anonymous,
    adminCreated: created,
    ...(options.maxConnectionsPerIdentity === undefined
      ? {}
      : { maxConnectionsPerIdentity: options.maxConnectionsPerIdentity }),
    ...(options.auditMaxEntries === undefined ? {} : { auditMaxEntries: options.auditMaxEntries }),
  };
}
