import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../../broker/logger.ts';
import type { Event } from '../../protocol/event.ts';
import { SchedulerConnection } from '../../scheduler/scheduler-connection.ts';
import { StatusPublisher } from '../../scheduler/status-publisher.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { emptyUnitOfWork, type OutboxRecord } from '../../scheduler/store/records.ts';
import { deferred, startTestBroker, tempDir } from '../helpers.ts';
import { withinHangGuard } from '../support.ts';

const TOKEN = 'test-token';

function statusRecords(n: number): OutboxRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    eventId: `status-${i + 1}`,
    namespace: 'default',
    key: `$task/wf/t${i % 7}`,
    value: i % 2 === 0 ? 'stopping' : 'stopped',
    context: JSON.stringify({ workflowExecutionId: i + 1, task: `t${i % 7}` }),
  }));
}

test('the status events of one input reach the broker in one request, stored in one commit in their order', async (t) => {
  const broker = await startTestBroker(t, { schedulerToken: TOKEN });
  const commits: Event[][] = [];
  broker.log.onCommitted((events) => commits.push(events));
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  t.after(() => store.close());
  const records = statusRecords(100);
  await store.commit({ ...emptyUnitOfWork(), outbox: records });

  const publisher = new StatusPublisher(store, createLogger('error'));
  const connection = await SchedulerConnection.connect(broker.url, TOKEN, async () => null);
  t.after(async () => {
    publisher.close();
    await connection.close();
  });
  await publisher.attach(connection);
  await withinHangGuard(publisher.publish(records), 'publishing 100 status events');

  // One commit of the event log: one request (per-event requests would have been stored over several commits).
  assert.equal(commits.length, 1);
  assert.deepEqual(
    commits[0]!.map((e) => [e.key, e.value]),
    records.map((r) => [r.key, r.value]),
  );
  const offsets = commits[0]!.map((e) => e.offset);
  assert.deepEqual(
    offsets,
    [...offsets].sort((a, b) => a - b),
  );
  assert.deepEqual((await store.loadRecovery()).outbox, []);
});

/** A broker, and a store whose outbox holds about 600 KB of status events: more than one request carries. */
async function largeOutbox(t: TestContext) {
  const broker = await startTestBroker(t, { schedulerToken: TOKEN });
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  t.after(() => store.close());
  const records = statusRecords(1_500).map((r) => ({ ...r, value: `${r.value} ${'x'.repeat(300)}` }));
  await store.commit({ ...emptyUnitOfWork(), outbox: records });
  const connection = await SchedulerConnection.connect(broker.url, TOKEN, async () => null);
  t.after(() => connection.close());
  return { broker, store, records, connection };
}

/** The same, with a publisher not attached yet. */
async function publisherWithLargeOutbox(t: TestContext) {
  const outbox = await largeOutbox(t);
  const publisher = new StatusPublisher(outbox.store, createLogger('error'));
  t.after(() => publisher.close());
  return { ...outbox, publisher };
}

test('status events beyond one request travel in several, stored in order; a repeat of them is stored once', async (t) => {
  const { broker, store, records, connection } = await largeOutbox(t);
  for (const round of [1, 2]) {
    const publisher = new StatusPublisher(store, createLogger('error'));
    await publisher.attach(connection);
    await withinHangGuard(publisher.publish(records), `publishing 1,500 status events, round ${round}`);
    publisher.close();
  }
  const stored = await broker.log.list({}, 10_000);
  assert.deepEqual(
    stored.map((e) => e.value),
    records.map((r) => r.value),
  );
});

test('events.sendBatch: checked whole before anything is stored; a status key needs the scheduler', async (t) => {
  const broker = await startTestBroker(t, { schedulerToken: TOKEN });
  const mqtt = (await import('mqtt')).default;
  const raw = await mqtt.connectAsync(broker.url, { clientId: 'batcher', reconnectPeriod: 0 });
  t.after(() => raw.endAsync());
  await raw.subscribeAsync('$aiflow/reply/batcher', { qos: 1 });
  const replies = new Map<string, ReturnType<typeof deferred<Record<string, unknown>>>>();
  raw.on('message', (_topic, payload) => {
    const reply = JSON.parse(payload.toString()) as { id: string };
    replies.get(reply.id)?.resolve(reply);
  });
  const call = async (id: string, events: unknown) => {
    replies.set(id, deferred());
    await raw.publishAsync(
      '$aiflow/rpc',
      JSON.stringify({ id, method: 'events.sendBatch', params: { events } }),
      {
        qos: 1,
      },
    );
    return withinHangGuard(replies.get(id)!.promise, `reply ${id}`);
  };
  const ok = (await call('ok', [
    { namespace: 'default', key: 'a', value: '1', idempotencyId: 'a-1' },
    { namespace: 'default', key: 'b', value: '2' },
    { namespace: 'default', key: 'a', value: '1', idempotencyId: 'a-1' },
  ])) as { result: { events: { offset: number; duplicate: boolean }[] } };
  assert.deepEqual(
    ok.result.events,
    [
      { offset: 1, duplicate: false },
      { offset: 2, duplicate: false },
      { offset: 1, duplicate: true },
    ],
    'offsets, not the events: the reply stays small',
  );
  assert.deepEqual(
    (await broker.log.list({})).map((e) => [e.offset, e.key, e.value]),
    [
      [1, 'a', '1'],
      [2, 'b', '2'],
    ],
  );

  const invalid = await call('invalid', [{ namespace: 'default', key: 'c', value: '3' }, { key: 'd' }]);
  assert.equal((invalid.error as { code: string }).code, 'INVALID_REQUEST');
  const reserved = await call('reserved', [
    { namespace: 'default', key: 'c', value: '3' },
    { namespace: 'default', key: '$task/wf/t', value: 'success' },
  ]);
  assert.equal((reserved.error as { code: string }).code, 'RESERVED_TOPIC');
  const empty = await call('empty', []);
  assert.equal((empty.error as { code: string }).code, 'INVALID_REQUEST');
  assert.equal((await broker.log.count({})).total, 2);
});

test('caughtUp: null while every committed status event is in a request; otherwise resolves once all are', async (t) => {
  const { broker, records, connection, publisher } = await publisherWithLargeOutbox(t);
  assert.equal(publisher.caughtUp(), null, 'nothing committed waits before the connection is attached');
  await publisher.attach(connection);
  assert.equal(publisher.caughtUp(), null, 'nothing to send');

  const stored: number[] = [];
  broker.log.onCommitted((events) => stored.push(events.length));
  const published = publisher.publish(records);
  const backlog = publisher.caughtUp();
  assert.ok(backlog, 'more events than the requests in flight carry: behind');
  await withinHangGuard(backlog, 'the last status events leaving in a request');
  const storedWhenCaughtUp = stored.reduce((sum, n) => sum + n, 0);
  assert.ok(storedWhenCaughtUp < records.length, 'caught up once the last request left, before its answer');
  assert.equal(publisher.caughtUp(), null);
  await withinHangGuard(published, 'publishing 1,500 status events');
  assert.equal(
    stored.reduce((sum, n) => sum + n, 0),
    records.length,
  );
});

test('caughtUp: a publisher whose request failed holds nothing back while it waits to try again', async (t) => {
  const { store, records, connection, publisher } = await publisherWithLargeOutbox(t);
  await publisher.attach(connection);
  const published = publisher.publish(records);
  const backlog = publisher.caughtUp();
  assert.ok(backlog);
  await connection.close(); // the requests in flight fail
  await withinHangGuard(backlog, 'the backlog released by the failure');
  await withinHangGuard(published, 'the sending stopped by the failure');
  assert.equal(publisher.caughtUp(), null, 'waiting to retry: not behind');
  assert.ok((await store.loadRecovery()).outbox.length > 0, 'what was not stored stays in the outbox');
});
