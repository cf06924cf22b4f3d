import type { MqttClient } from 'mqtt';
import {
  ADMIN_CREDENTIAL_FILE,
  parseCredentialFile,
  type Credentials,
} from '../protocol/admin-credential.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { localLogin } from '../protocol/local-logins.ts';
import { fromEnv } from '../protocol/runtime-env.ts';
import { connectMqtt, type ConnectOptions } from './mqtt-connection.ts';

interface Found {
  credentials: Credentials;
  /** Read from a home's `admin.credential`, not given by the user. */
  fromHome: boolean;
}

/**
 * The login of a client: the explicit one, else `$AIFLOW_USERNAME`/`$AIFLOW_PASSWORD`, else the admin login of a
 * server this process runs at that URL (`local-logins.ts`), else the admin credential of the home on this machine
 * (`$AIFLOW_HOME`, else `~/.aiflow`), else none (anonymous). The file is read only in Node: a browser bundle has
 * no home.
 */
export async function findCredentials(
  url: string,
  explicit: Credentials | undefined,
): Promise<Found | undefined> {
  if (explicit) return { credentials: explicit, fromHome: false };
  const username = fromEnv('username');
  if (username !== undefined)
    return { credentials: { username, password: fromEnv('password') ?? '' }, fromHome: false };
  const local = localLogin(url);
  if (local) return { credentials: local, fromHome: false };
  if (globalThis.process?.versions?.node === undefined) return undefined;
  // Named through variables so that bundlers leave them alone.
  const [fs, os, path] = ['node:fs/promises', 'node:os', 'node:path'];
  const { readFile } = (await import(fs)) as typeof import('node:fs/promises');
  const { homedir } = (await import(os)) as typeof import('node:os');
  const { join } = (await import(path)) as typeof import('node:path');
  const home = fromEnv('home') ?? join(homedir(), '.aiflow');
  try {
    const credentials = parseCredentialFile(await readFile(join(home, ADMIN_CREDENTIAL_FILE), 'utf8'));
    return credentials && { credentials, fromHome: true };
  } catch {
    return undefined;
  }
}

/**
 * Connects with the client's login (see `findCredentials`). A home's credential the server refuses belongs to
 * another server (another home on this machine): the client then connects anonymously instead of failing.
 */
export async function connectWithLogin(
  url: string,
  options: ConnectOptions,
  explicit: Credentials | undefined,
): Promise<MqttClient> {
  const found = await findCredentials(url, explicit);
  if (!found) return connectMqtt(url, options);
  try {
    return await connectMqtt(url, { ...options, ...found.credentials });
  } catch (error) {
    if (!found.fromHome || !(error instanceof AIFlowError) || error.code !== 'UNAUTHORIZED') throw error;
    return connectMqtt(url, options);
  }
}
