import type { Credentials } from './admin-credential.ts';

/**
 * Logins of the servers running in this process, by URL: a client in the process that started a server (an
 * embedding application, a test) logs in as that server's admin with no configuration, as a client on the same
 * machine does through the home's credential file. Kept on `globalThis` so that every copy of this module (sources
 * and built files) shares it.
 */
const REGISTRY = Symbol.for('aiflow-mqtt.local-logins');

function registry(): Map<string, Credentials> {
  const holder = globalThis as { [REGISTRY]?: Map<string, Credentials> };
  return (holder[REGISTRY] ??= new Map());
}

export function registerLocalLogin(url: string, credentials: Credentials): void {
  registry().set(url, credentials);
}

export function forgetLocalLogin(url: string): void {
  registry().delete(url);
}

export function localLogin(url: string): Credentials | undefined {
  return registry().get(url);
}
