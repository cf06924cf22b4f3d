import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../../broker/logger.ts';
import { SchedulerLease } from '../../scheduler/lease.ts';
import { emptyUnitOfWork } from '../../scheduler/store/records.ts';
import { readLeaseFile } from '../../scheduler/store/sqlite-lease.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { tempDir } from '../helpers.ts';
import { makeZombie } from '../fixtures/zombie.ts';
import { ManualClock } from '../manual-clock.ts';

const logger = createLogger('error', () => undefined);

function setUp(t: TestContext) {
  const file = join(tempDir(t), 'metadata.db');
  // Two connections to one file, as two scheduler processes would have.
  const stores = [SqliteMetadataStore.open(file), SqliteMetadataStore.open(file)] as const;
  t.after(() => Promise.all(stores.map((s) => s.close())));
  const lease = (store: SqliteMetadataStore, clock: ManualClock) =>
    SchedulerLease.acquire({ store, clock, home: '/h', logger, durationMs: 10_000 });
  return { file, stores, lease };
}

test('a second scheduler is refused while the lease is renewed, naming the holder', async (t) => {
  const { stores, lease } = setUp(t);
  const clock = new ManualClock();
  const first = await lease(stores[0], clock);
  t.after(() => first.release());
  assert.equal(first.token, 1);
  for (let i = 0; i < 10; i++) {
    clock.advance(2_000); // renewals keep it alive well past one duration
    await new Promise(setImmediate); // lets the renewal settle before time moves on
  }
  await assert.rejects(lease(stores[1], clock), {
    code: 'SCHEDULER_RUNNING',
    message: `a scheduler is already running for /h (pid ${process.pid} on ${hostname()})`,
  });
});

test('an expired lease is taken over with the next token, and the old holder learns it lost it', async (t) => {
  const { stores, lease, file } = setUp(t);
  const frozen = new ManualClock(); // the first holder's timers never fire: a frozen process
  const first = await lease(stores[0], frozen);
  const later = new ManualClock(frozen.now() + 10_001);
  const second = await lease(stores[1], later);
  t.after(() => second.release());
  assert.equal(second.token, 2);
  assert.equal(readLeaseFile(file)?.token, 2, 'another process reads the current token');

  frozen.advance(2_000); // the first holder wakes up and tries to renew
  const lost = await first.lost;
  assert.equal(lost.code, 'SCHEDULER_LEASE_LOST');
  assert.match(lost.message, /another scheduler took the lease over \(token 2/);
  await first.release(); // a no-op: it must not free the new holder's lease
  assert.equal((await stores[0].readLease())?.expiresAt, later.now() + 10_000);
});

test('a released lease is free at once; a holder whose process is gone is replaced at once', async (t) => {
  const { stores, lease } = setUp(t);
  const clock = new ManualClock();
  const first = await lease(stores[0], clock);
  await first.release();
  const second = await lease(stores[1], clock);
  assert.equal(second.token, 2);
  await second.release();

  const gone = spawn('true');
  await once(gone, 'exit');
  const claim = { holder: 'dead', pid: gone.pid!, host: hostname(), now: clock.now(), durationMs: 10_000 };
  assert.equal(((await stores[0].acquireLease(claim)) as { token: number }).token, 3);
  const third = await lease(stores[1], clock);
  t.after(() => third.release());
  assert.equal(third.token, 4, 'taken over before the dead holder’s expiry');
});

test('a holder that is a zombie (exited, not reaped: an orphaned scheduler) is replaced at once', async (t) => {
  const { stores, lease } = setUp(t);
  const clock = new ManualClock();
  const zombie = await makeZombie(t);
  const claim = { holder: 'zombie', pid: zombie, host: hostname(), now: clock.now(), durationMs: 10_000 };
  assert.equal(((await stores[0].acquireLease(claim)) as { token: number }).token, 1);
  const next = await lease(stores[1], clock);
  t.after(() => next.release());
  assert.equal(next.token, 2, 'taken over before the zombie holder’s expiry');
});

test('the take-over of a dead holder is a compare-and-set on its token', async (t) => {
  const { stores } = setUp(t);
  const claim = { holder: 'a', pid: 1, host: 'elsewhere', now: 1_000, durationMs: 10_000 };
  assert.equal(((await stores[0].acquireLease(claim)) as { token: number }).token, 1);
  const stale = await stores[1].acquireLease({ ...claim, holder: 'b', replacing: 0 });
  assert.deepEqual('heldBy' in stale && [stale.heldBy.holder, stale.heldBy.token], ['a', 1]);
  const won = await stores[1].acquireLease({ ...claim, holder: 'b', replacing: 1 });
  assert.equal((won as { token: number }).token, 2);
  assert.equal(await stores[0].renewLease('a', 1, 50_000), false, 'the old holder cannot renew');
  assert.equal(await stores[1].renewLease('b', 2, 50_000), true);
});

test('a scheduler whose lease was taken over commits nothing (fencing in the store)', async (t) => {
  const { stores, lease } = setUp(t);
  const frozen = new ManualClock();
  await lease(stores[0], frozen);
  const work = (id: number) => ({
    ...emptyUnitOfWork(),
    timers: [{ id, dueTime: 1, kind: 'retry' as const, taskExecutionId: 1 }],
  });
  await stores[0].commit(work(1));
  const second = await lease(stores[1], new ManualClock(frozen.now() + 10_001));
  t.after(() => second.release());

  await assert.rejects(stores[0].commit(work(2)), { code: 'SCHEDULER_LEASE_LOST' });
  await stores[0].beginBatch();
  await stores[0].commit(work(3));
  await assert.rejects(stores[0].endBatch(), { code: 'SCHEDULER_LEASE_LOST' });
  const timers = (await stores[1].loadRecovery()).timers.map((timer) => timer.id);
  assert.deepEqual(timers, [1], 'only what was committed while the lease was held');
  await stores[1].commit(work(4));
  assert.deepEqual(
    (await stores[1].loadRecovery()).timers.map((timer) => timer.id),
    [1, 4],
  );
});
