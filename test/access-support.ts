import { join } from 'node:path';
import type { TestContext } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { IdentityStore } from '../broker/identity-store.ts';
import { parseGrant } from '../protocol/access-roles.ts';
import { startTestBroker, tempDir, type TestBroker } from './helpers.ts';

/** The password every test user gets: `<name>-password`. */
export const passwordOf = (name: string) => `${name}-password`;

/**
 * The real broker with access control on: the given users (name → grants) and tokens (name → grants) made first,
 * anonymous clients `publisher@default`. Returns the broker and each token's text.
 */
export async function startSecuredBroker(
  t: TestContext,
  identities: { users?: Record<string, string[]>; tokens?: Record<string, string[]> },
  options: { maxConnectionsPerIdentity?: number; schedulerToken?: string } = {},
): Promise<{ broker: TestBroker; tokens: Map<string, string> }> {
  const file = join(tempDir(t), 'access.db');
  const store = IdentityStore.open(file);
  const tokens = new Map<string, string>();
  try {
    for (const [name, grants] of Object.entries(identities.users ?? {})) {
      await store.addUser(name, passwordOf(name), grants.map(parseGrant));
    }
    for (const [name, grants] of Object.entries(identities.tokens ?? {})) {
      tokens.set(name, (await store.createToken(name, grants.map(parseGrant))).token);
    }
  } finally {
    store.close();
  }
  const { schedulerToken = null, ...limits } = options;
  const broker = await startTestBroker(t, {
    schedulerToken,
    access: { file, anonymous: [parseGrant('publisher@default')], ...limits },
  });
  return { broker, tokens };
}

/** A plain MQTT.js client logged in as `name` (anonymous with null); closed after the test. */
export async function connectAs(
  t: TestContext,
  broker: TestBroker,
  name: string | null,
  options: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.url, {
    reconnectPeriod: 0,
    ...(name === null ? {} : { username: name, password: passwordOf(name) }),
    ...options,
  });
  t.after(() => client.end(true));
  return client;
}

/** The CONNACK return code a login gets (0 accepted). */
export async function connackCode(broker: TestBroker, options: mqtt.IClientOptions): Promise<number> {
  try {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, ...options });
    await client.endAsync(true);
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}
