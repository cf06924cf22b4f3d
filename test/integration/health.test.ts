import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../../broker/index.ts';
import { startScheduler, startServer, type AIFlowServer, type ServerOptions } from '../../server/index.ts';
import type { Readiness } from '../../server/readiness.ts';
import { connectClient, tempDir } from '../helpers.ts';

async function startHealthServer(t: TestContext, options: Partial<ServerOptions> & { home?: string } = {}) {
  const server = await startServer({
    home: options.home ?? tempDir(t),
    port: 0,
    wsPort: 0,
    durability: 'normal',
    logger: createLogger('error'),
    ...options,
  });
  t.after(() => server.close({ stopTasks: true }));
  return server;
}

async function readyz(
  server: AIFlowServer,
  url = server.httpUrl,
): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

/** Asks `/readyz` until it answers `status`: readiness is a state reached by background work, not an event. */
async function untilReadyz(server: AIFlowServer, status: number): Promise<Readiness> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const answer = await readyz(server);
    if (answer.status === status) return answer.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`/readyz never answered ${status}`);
}

test('/healthz answers 200 while the process runs; unknown paths 404, other methods 405', async (t) => {
  const server = await startHealthServer(t, { schedulerMode: 'none' });
  const health = await fetch(`${server.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  assert.equal((await fetch(`${server.httpUrl}/nowhere`)).status, 404);
  assert.equal((await fetch(`${server.httpUrl}/metrics`, { method: 'POST' })).status, 405);
});

test('/readyz: 503 naming the scheduler check without a scheduler; 200 once one has caught up', async (t) => {
  const home = tempDir(t);
  const server = await startHealthServer(t, { home, schedulerMode: 'none' });
  const client = await connectClient(t, server.url, { namespace: 'health' });
  for (let i = 0; i < 5; i++) await client.sendEvent('backlog', String(i));

  const waiting = await readyz(server);
  assert.equal(waiting.status, 503);
  assert.equal(waiting.body.ready, false);
  assert.deepEqual(waiting.body.checks.broker, { ok: true });
  assert.deepEqual(waiting.body.checks.eventLog, { ok: true });
  assert.equal(waiting.body.checks.scheduler.ok, false);
  assert.match(waiting.body.checks.scheduler.reason!, /no scheduler is connected/);

  // A scheduler run apart (as `aiflow scheduler start` does) processes the backlog and the server becomes ready.
  const scheduler = await startScheduler({ home, server: server.url, logger: createLogger('error') });
  t.after(() => scheduler.close({ stopTasks: true }));
  const ready = await untilReadyz(server, 200);
  assert.equal(ready.ready, true);
  assert.equal(ready.checks.scheduler.ok, true);
  assert.ok(ready.checks.scheduler.lagEvents! <= 1_000);

  await scheduler.close();
  const gone = await untilReadyz(server, 503);
  assert.match(gone.checks.scheduler.reason!, /no scheduler is connected/);
});

test('/readyz: the event log check fails once the log can no longer be written', async (t) => {
  const server = await startHealthServer(t, { schedulerMode: 'in-process' });
  assert.equal((await untilReadyz(server, 200)).ready, true);
  await server.broker.log.close();
  const answer = await readyz(server);
  assert.equal(answer.status, 503);
  assert.equal(answer.body.checks.eventLog.ok, false);
  assert.match(answer.body.checks.eventLog.reason!, /closed/);
});

test('--http-port: metrics and health on a listener of their own, with the WebSocket port off', async (t) => {
  const server = await startHealthServer(t, { schedulerMode: 'in-process', wsPort: null, httpPort: 0 });
  assert.equal(server.wsPort, null);
  assert.ok(server.httpPort);
  assert.equal(server.httpUrl, `http://127.0.0.1:${server.httpPort}`);
  assert.equal((await untilReadyz(server, 200)).ready, true);
  const metrics = await fetch(`${server.httpUrl}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^aiflow_scheduler_connected 1$/m);
});
