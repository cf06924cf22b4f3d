import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { test, type TestContext } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { clientCertificateName, createLogger, type LogRecord } from '../../broker/index.ts';
import { AIFlowNotificationClient, SchedulerClient, type ClientTls } from '../../client/index.ts';
import { connectPlainMqtt } from '../../client/mqtt-connection.ts';
import { checkAiflowServer } from '../../client/server-check.ts';
import { startServer, type ServerOptions } from '../../server/index.ts';
import { connectClient, tempDir, withinHangGuard } from '../helpers.ts';
import { makeTestCerts, type TestCerts } from '../tls-certs.ts';

/** The whole server (broker, event log, in-process scheduler) with TLS on both listeners, on port 0. */
async function startTlsServer(t: TestContext, certs: TestCerts, tls: Partial<ServerOptions['tls']> = {}) {
  const records: LogRecord[] = [];
  const server = await startServer({
    home: tempDir(t),
    port: 0,
    wsPort: 0,
    durability: 'normal',
    logger: createLogger('debug', (record) => records.push(record)),
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, ...tls },
  });
  t.after(() => server.close({ stopTasks: true }));
  return Object.assign(server, { records });
}

const trusting = (certs: TestCerts): ClientTls => ({ ca: readFileSync(certs.caCert) });

test('a client that trusts the CA sends and reads events over mqtts:// and wss://', async (t) => {
  const certs = makeTestCerts(t);
  const server = await startTlsServer(t, certs);
  assert.match(server.url, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  assert.match(server.wsUrl ?? '', /^wss:\/\/127\.0\.0\.1:\d+$/);
  for (const url of [server.url, server.wsUrl!]) {
    const client = await connectClient(t, url, { tls: trusting(certs) });
    const sent = await client.sendEvent('over-tls', url);
    const read = await client.listEvents({ keys: ['over-tls'] });
    assert.deepEqual(
      read.map((e) => e.value),
      url === server.url ? [url] : [server.url, url],
    );
    assert.equal(read.at(-1)?.offset, sent.offset);
  }
  // The scheduler, in process, reached the broker over TLS too: it answers requests.
  const scheduler = await SchedulerClient.connect({ server: server.url, tls: trusting(certs) });
  t.after(() => scheduler.close());
  assert.deepEqual(
    (await scheduler.call('namespace.list')).map((n) => n.name),
    ['default'],
  );
  // The announcement names the TLS addresses.
  const raw = await connectPlainMqtt(server.url, { tls: trusting(certs) });
  t.after(() => raw.endAsync(true));
  const info = await checkAiflowServer(raw, server.url);
  assert.equal(info.url, server.url);
  assert.equal(info.wsUrl, server.wsUrl);
});

test('a client that does not trust the certificate fails with TLS_FAILED, not a hang', async (t) => {
  const certs = makeTestCerts(t);
  const server = await startTlsServer(t, certs);
  const stranger: ClientTls = { ca: readFileSync(certs.otherCaCert) };
  for (const url of [server.url, server.wsUrl!]) {
    for (const tls of [undefined, stranger]) {
      await withinHangGuard(
        assert.rejects(AIFlowNotificationClient.connect({ server: url, tls, connectTimeoutMs: 5_000 }), {
          code: 'TLS_FAILED',
        }),
        `${url} refused (${tls ? 'another CA' : "Node's authorities"})`,
      );
    }
  }
  // A plain mqtt:// client on the TLS port is not a TLS failure to the client: the server just hangs up.
  await assert.rejects(
    AIFlowNotificationClient.connect({
      server: server.url.replace('mqtts:', 'mqtt:'),
      connectTimeoutMs: 5_000,
    }),
    { code: 'SERVER_NOT_RUNNING' },
  );
});

test('a plain MQTT CONNECT on the TLS port gets no session', async (t) => {
  const certs = makeTestCerts(t);
  const server = await startTlsServer(t, certs);
  const sessions: string[] = [];
  server.broker.aedes.on('client', (client) => sessions.push(client.id));
  const socket = netConnect(server.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close');
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'plain-on-tls',
    }),
  );
  await withinHangGuard(closed, 'the server closes the plain connection');
  // At most a TLS alert (record type 21), never a CONNACK (0x20).
  const reply = Buffer.concat(received);
  assert.ok(reply.length === 0 || reply[0] === 21, `reply ${reply.toString('hex')}`);
  assert.ok(!sessions.includes('plain-on-tls'), `sessions ${sessions.join(', ')}`);
  assert.ok(server.records.some((r) => r.message === 'TLS connection refused'));
});

test('with client certificates required, only a certificate signed by the CA connects, and its CN is seen', async (t) => {
  const certs = makeTestCerts(t);
  const server = await startTlsServer(t, certs, { caFile: certs.caCert, requireClientCert: true });
  const names: (string | null)[] = [];
  server.broker.aedes.on('client', (client) => names.push(clientCertificateName(client)));
  const alice: ClientTls = {
    ...trusting(certs),
    cert: readFileSync(certs.clientCert),
    key: readFileSync(certs.clientKey),
  };
  const mallory: ClientTls = {
    ...trusting(certs),
    cert: readFileSync(certs.otherClientCert),
    key: readFileSync(certs.otherClientKey),
  };
  for (const url of [server.url, server.wsUrl!]) {
    for (const tls of [trusting(certs), mallory]) {
      await withinHangGuard(
        assert.rejects(AIFlowNotificationClient.connect({ server: url, tls, connectTimeoutMs: 5_000 }), {
          code: 'TLS_FAILED',
        }),
        `${url} refuses a client without an accepted certificate`,
      );
    }
    const client = await connectClient(t, url, { tls: alice });
    assert.equal((await client.sendEvent('signed', 'by the CA')).key, 'signed');
  }
  // The server's own scheduler (CN=localhost, the server's certificate) and alice over mqtts:// and wss://.
  assert.ok(names.filter((n) => n === 'alice').length === 2, `names ${JSON.stringify(names)}`);
  assert.ok(!names.includes('mallory') && !names.includes(null), `names ${JSON.stringify(names)}`);
});

test('bad TLS options are INVALID_OPTION before anything listens', async (t) => {
  const certs = makeTestCerts(t);
  const garbled = join(certs.dir, 'garbled.pem');
  writeFileSync(
    garbled,
    '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
  );
  const cases: [ServerOptions['tls'], RegExp][] = [
    [
      { certFile: `${certs.dir}/missing.pem`, keyFile: certs.serverKey },
      /^cannot read --tls-cert \S+missing\.pem: ENOENT/,
    ],
    [
      { certFile: certs.serverCert, keyFile: certs.clientKey },
      /^--tls-key \S+ is not the key of --tls-cert /,
    ],
    [{ certFile: certs.serverCert, keyFile: certs.serverCert }, /^--tls-key \S+ has no PEM private key$/],
    [
      { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.serverKey },
      /^--tls-ca \S+ has no PEM certificate$/,
    ],
    [
      { certFile: garbled, keyFile: certs.serverKey },
      /^--tls-cert \S+ and --tls-key \S+ are not a PEM certificate and key: /,
    ],
    [{ certFile: certs.serverCert, keyFile: certs.serverKey, requireClientCert: true }, /needs --tls-ca/],
    [{ certFile: certs.dir, keyFile: certs.serverKey }, /^cannot read --tls-cert /],
  ];
  for (const [tls, message] of cases) {
    const home = tempDir(t);
    await assert.rejects(
      startServer({ home, port: 0, tls, logger: createLogger('error', () => undefined) }),
      (error) => {
        assert.equal((error as { code: string }).code, 'INVALID_OPTION');
        assert.match((error as Error).message, message);
        return true;
      },
    );
    // Refused before the home was written: no event log, no scheduler token.
    assert.throws(() => readFileSync(`${home}/scheduler.token`), { code: 'ENOENT' });
  }
});

test('with --tls-ca alone a client certificate is optional; only a verified one gives a CN', async (t) => {
  const certs = makeTestCerts(t);
  const server = await startTlsServer(t, certs, { caFile: certs.caCert });
  const names = new Map<string, string | null>();
  server.broker.aedes.on('client', (client) => names.set(client.id, clientCertificateName(client)));
  const withCert = (cert: string, key: string): ClientTls => ({
    ...trusting(certs),
    cert: readFileSync(cert),
    key: readFileSync(key),
  });
  for (const [clientId, tls] of [
    ['anonymous', trusting(certs)],
    ['alice', withCert(certs.clientCert, certs.clientKey)],
    ['mallory', withCert(certs.otherClientCert, certs.otherClientKey)],
  ] as const) {
    const client = await connectClient(t, server.url, { clientId, tls });
    assert.equal((await client.sendEvent('k', clientId)).value, clientId);
  }
  assert.deepEqual(
    ['anonymous', 'alice', 'mallory'].map((id) => names.get(id)),
    [null, 'alice', null],
  );
});

test('a verified client certificate logs in as the user its CN names, with no password', async (t) => {
  const certs = makeTestCerts(t);
  const server = await startTlsServer(t, certs, { caFile: certs.caCert, requireClientCert: true });
  const tls = {
    ca: readFileSync(certs.caCert),
    cert: readFileSync(certs.clientCert),
    key: readFileSync(certs.clientKey),
  };
  // A device with alice's certificate and no user name asks who it is.
  const whoami = async () => {
    const device = await mqtt.connectAsync(server.url, {
      clientId: 'alice-device',
      ...tls,
      reconnectPeriod: 0,
    });
    try {
      const reply = new Promise<Buffer>((resolve) =>
        device.once('message', (_topic, payload) => resolve(payload)),
      );
      await device.subscribeAsync('$aiflow/reply/alice-device', { qos: 1 });
      await device.publishAsync(
        '$aiflow/rpc',
        JSON.stringify({ id: '1', method: 'access.whoami', params: {} }),
      );
      return (JSON.parse((await withinHangGuard(reply, 'no whoami reply')).toString()) as { result: unknown })
        .result as { name: string; grants: { role: string; namespace: string }[] };
    } finally {
      await device.endAsync(true);
    }
  };
  // No user alice yet: the certificate's holder is an anonymous client.
  assert.equal((await whoami()).name, 'anonymous');

  const admin = await SchedulerClient.connect({ server: server.url, tls });
  t.after(() => admin.close());
  await admin.addUser('alice', 'unused-password', ['operator@plant-1']);
  assert.deepEqual(await whoami(), {
    name: 'alice',
    grants: [{ role: 'operator', namespace: 'plant-1' }],
    clientId: 'alice-device',
  });
});
