import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerMetrics } from '../../scheduler/scheduler-metrics.ts';
import { meteredStore } from '../../scheduler/store/metered-store.ts';
import type { MetadataStore } from '../../scheduler/store/metadata-store.ts';
import { emptyUnitOfWork, type TaskExecutionRecord } from '../../scheduler/store/records.ts';
import { parsePrometheusText, sampleSum } from '../prometheus-text.ts';

/** A fake store with a group commit and a private field, as the SQLite store has. */
class FakeBatchingStore {
  readonly #writes: string[] = [];
  get writes(): string[] {
    return this.#writes;
  }
  async commit(): Promise<void> {
    this.#writes.push('commit');
  }
  async beginBatch(): Promise<void> {
    this.#writes.push('begin');
  }
  async endBatch(): Promise<void> {
    this.#writes.push('end');
  }
  async abortBatch(): Promise<void> {
    this.#writes.push('abort');
  }
}

const finished = (id: number): TaskExecutionRecord => ({
  id,
  workflowExecutionId: 1,
  task: 't',
  sequence: 1,
  attempt: 1,
  status: 'success',
  pid: null,
  beginTime: 0,
  endTime: 1_000,
  reason: null,
});

test('commits of a group commit count when the batch ends, not when it is aborted', async () => {
  const metrics = new SchedulerMetrics();
  const fake = new FakeBatchingStore();
  const store = meteredStore(fake as unknown as MetadataStore, metrics) as unknown as FakeBatchingStore &
    MetadataStore;
  const finishedCount = async () =>
    sampleSum(parsePrometheusText(await metrics.registry.metrics()), 'aiflow_task_executions_finished_total');
  // Live first, so that the finish below is a transition the metrics count.
  await store.commit({ ...emptyUnitOfWork(), taskExecutions: [{ ...finished(1), status: 'running' }] });
  await store.commit({ ...emptyUnitOfWork(), taskExecutions: [{ ...finished(2), status: 'running' }] });

  await store.beginBatch();
  await store.commit({ ...emptyUnitOfWork(), taskExecutions: [finished(1)] });
  await store.abortBatch();
  assert.equal(await finishedCount(), 0, 'an aborted batch changed nothing');

  await store.beginBatch();
  await store.commit({ ...emptyUnitOfWork(), taskExecutions: [finished(2)] });
  assert.equal(await finishedCount(), 0, 'not durable before the batch ends');
  await store.endBatch();
  assert.equal(await finishedCount(), 1);
  assert.deepEqual(store.writes, ['commit', 'commit', 'begin', 'commit', 'abort', 'begin', 'commit', 'end']);
});
