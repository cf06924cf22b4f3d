import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { WebSocket, type ClientOptions } from 'ws';
import { connectClient, startTestBroker, withinHangGuard } from '../helpers.ts';
import { makeTestCerts } from '../tls-certs.ts';

/** Opens a WebSocket upgrade with this `Origin` (none if undefined): 101 when accepted, else the HTTP status. */
function upgradeStatus(
  url: string,
  origin: string | undefined,
  options: ClientOptions = {},
): Promise<number> {
  const ws = new WebSocket(url, ['mqtt'], { ...options, ...(origin === undefined ? {} : { origin }) });
  const status = new Promise<number>((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (request, response) => {
      response.resume();
      request.destroy();
      resolve(response.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
  return withinHangGuard(status, `the upgrade with origin ${origin ?? 'none'} is answered`);
}

test('a WebSocket upgrade from a foreign origin gets 403; no origin, same origin and allowed ones get in', async (t) => {
  const broker = await startTestBroker(t, { wsPort: 0, wsOrigins: ['https://app.example.com'] });
  const url = broker.wsUrl!;
  const own = `http://127.0.0.1:${broker.wsPort}`;
  for (const [origin, expected] of [
    [undefined, 101],
    [own, 101],
    [`http://localhost:${broker.wsPort}`, 403], // another host name than the request's Host
    ['https://app.example.com', 101],
    ['https://app.example.com:443', 101], // the default port, as browsers leave it out
    ['https://app.example.com:8443', 403],
    ['http://app.example.com', 403],
    ['https://evil.example', 403],
    [`https://127.0.0.1:${broker.wsPort}`, 403], // the server's pages are plain http here
    ['null', 403], // a sandboxed page or a file
  ] as const) {
    assert.equal(await upgradeStatus(url, origin), expected, `origin ${origin}`);
  }
  const refused = broker.records.filter((r) => r.message === 'WebSocket upgrade refused');
  assert.deepEqual(
    refused.map((r) => r.fields.origin),
    [
      `http://localhost:${broker.wsPort}`,
      'https://app.example.com:8443',
      'http://app.example.com',
      'https://evil.example',
      `https://127.0.0.1:${broker.wsPort}`,
      'null',
    ],
  );
  // MQTT.js in Node sends no Origin: the SDK connects over ws:// as before.
  const client = await connectClient(t, url);
  assert.equal((await client.sendEvent('over-ws', 'v')).key, 'over-ws');
});

test('--ws-origin * allows every origin; an allowed origin must be a bare origin', async (t) => {
  const broker = await startTestBroker(t, { wsPort: 0, wsOrigins: ['*'] });
  assert.equal(await upgradeStatus(broker.wsUrl!, 'https://evil.example'), 101);
  for (const origin of ['example.com', 'https://example.com/app', 'ftp://example.com', '']) {
    await assert.rejects(startTestBroker(t, { wsPort: 0, wsOrigins: [origin] }), {
      code: 'INVALID_OPTION',
      message: `--ws-origin must be an origin like https://example.com:8443 (or *), got ${JSON.stringify(origin)}`,
    });
  }
});

test('over wss:// the same origin is the https:// one', async (t) => {
  const certs = makeTestCerts(t);
  const broker = await startTestBroker(t, {
    wsPort: 0,
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey },
  });
  const trust = { ca: readFileSync(certs.caCert) };
  assert.equal(await upgradeStatus(broker.wsUrl!, `https://127.0.0.1:${broker.wsPort}`, trust), 101);
  assert.equal(await upgradeStatus(broker.wsUrl!, `http://127.0.0.1:${broker.wsPort}`, trust), 403);
  assert.equal(await upgradeStatus(broker.wsUrl!, undefined, trust), 101);
});
