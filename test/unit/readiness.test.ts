import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrokerServer } from '../../broker/index.ts';
import { readiness, readinessBounds, READINESS_DEFAULTS } from '../../server/readiness.ts';
import type { SchedulerProgress } from '../../server/scheduler-progress.ts';

/** Only what `readiness` reads of a broker. */
const broker = (listening = true, writeFailure: string | null = null) =>
  ({ listening, log: { writeFailure } }) as unknown as BrokerServer;

const progress = (p: Partial<SchedulerProgress>): SchedulerProgress => ({
  connected: true,
  series: null,
  processedOffset: 10,
  lagEvents: 0,
  lagSeconds: 0,
  ...p,
});

test('ready when the broker listens, the log is writable and the scheduler is caught up', () => {
  const result = readiness(broker(), progress({}), READINESS_DEFAULTS);
  assert.equal(result.ready, true);
  assert.deepEqual(result.checks.broker, { ok: true });
});

test('the scheduler is caught up within either bound: few events behind, or recent ones', () => {
  const bounds = { maxLagEvents: 100, maxLagSeconds: 5 };
  assert.equal(readiness(broker(), progress({ lagEvents: 100, lagSeconds: 60 }), bounds).ready, true);
  assert.equal(readiness(broker(), progress({ lagEvents: 50_000, lagSeconds: 4 }), bounds).ready, true);
  const behind = readiness(broker(), progress({ lagEvents: 101, lagSeconds: 6 }), bounds);
  assert.equal(behind.ready, false);
  assert.equal(
    behind.checks.scheduler.reason,
    'the scheduler is 101 events behind, the oldest 6.0 s old (bounds: 100 events or 5 s)',
  );
  const unknownAge = readiness(broker(), progress({ lagEvents: 101, lagSeconds: null }), bounds);
  assert.equal(unknownAge.ready, false);
});

test('each failed check is named with its reason', () => {
  const result = readiness(
    broker(false, 'the event log file was removed'),
    progress({ connected: false, lagEvents: null, lagSeconds: null }),
    READINESS_DEFAULTS,
  );
  assert.equal(result.ready, false);
  assert.deepEqual(result.checks.broker, { ok: false, reason: 'the broker does not listen' });
  assert.deepEqual(result.checks.eventLog, { ok: false, reason: 'the event log file was removed' });
  assert.equal(result.checks.scheduler.reason, 'no scheduler is connected');
  const silent = readiness(
    broker(),
    progress({ processedOffset: null, lagEvents: null }),
    READINESS_DEFAULTS,
  );
  assert.equal(silent.checks.scheduler.reason, 'the scheduler has not reported its progress');
});

test('readiness bounds: defaults, overrides, and INVALID_OPTION for a bad one', () => {
  assert.deepEqual(readinessBounds(), READINESS_DEFAULTS);
  assert.deepEqual(readinessBounds({ maxLagEvents: 0 }), { maxLagEvents: 0, maxLagSeconds: 5 });
  assert.throws(() => readinessBounds({ maxLagSeconds: -1 }), { code: 'INVALID_OPTION' });
  assert.throws(() => readinessBounds({ maxLagEvents: Number.NaN }), { code: 'INVALID_OPTION' });
});
