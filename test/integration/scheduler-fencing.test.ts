import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import mqtt from 'mqtt';
import { formatSchedulerPassword } from '../../protocol/scheduler-credential.ts';
import { SCHEDULER_USERNAME } from '../../protocol/topics.ts';
import { startTestBroker } from '../helpers.ts';

const SECRET = 'test-secret';

function connectScheduler(t: TestContext, url: string, password: string) {
  return mqtt
    .connectAsync(url, { username: SCHEDULER_USERNAME, password, reconnectPeriod: 0 })
    .then((client) => {
      t.after(() => client.endAsync(true));
      return client;
    });
}

test('with a lease, only the current fencing token and the secret log in as the scheduler', async (t) => {
  let current: number | null = null;
  const broker = await startTestBroker(t, { schedulerToken: SECRET, schedulerLease: async () => current });
  const password = (fencingToken: number) => formatSchedulerPassword({ fencingToken, secret: SECRET });
  await assert.rejects(connectScheduler(t, broker.url, password(1)), /Bad username or password/i);
  current = 1;
  await connectScheduler(t, broker.url, password(1));
  await assert.rejects(connectScheduler(t, broker.url, SECRET), /Bad username or password/i, 'no token');
  await assert.rejects(
    connectScheduler(t, broker.url, formatSchedulerPassword({ fencingToken: 1, secret: 'guess' })),
    /Bad username or password/i,
  );
  assert.ok(
    broker.records.some((r) => r.fields.reason === 'stale scheduler lease: token 1, current none'),
    'the refusal is logged with its reason',
  );
});

test('a newer lease holder’s login cuts the older holder’s connection and its rights', async (t) => {
  let current = 1;
  const broker = await startTestBroker(t, { schedulerToken: SECRET, schedulerLease: async () => current });
  const old = await connectScheduler(
    t,
    broker.url,
    formatSchedulerPassword({ fencingToken: 1, secret: SECRET }),
  );
  await old.publishAsync('ns/default/$task/wf/t', 'running', { qos: 1 });
  assert.equal((await broker.log.count({})).total, 1, 'the holder may send status events');
  const cut = new Promise<void>((resolve) => old.once('close', () => resolve()));
  current = 2;
  await connectScheduler(t, broker.url, formatSchedulerPassword({ fencingToken: 2, secret: SECRET }));
  await cut;
  await assert.rejects(
    connectScheduler(t, broker.url, formatSchedulerPassword({ fencingToken: 1, secret: SECRET })),
    /Bad username or password/i,
  );
});
