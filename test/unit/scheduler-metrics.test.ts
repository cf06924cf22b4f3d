import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerMetrics } from '../../scheduler/scheduler-metrics.ts';
import type { Recovery } from '../../scheduler/store/metadata-store.ts';
import { emptyUnitOfWork, type TaskExecutionRecord, type UnitOfWork } from '../../scheduler/store/records.ts';
import { parsePrometheusText, sampleSum } from '../prometheus-text.ts';

const task = (id: number, status: TaskExecutionRecord['status'], endTime: number | null = null) => ({
  id,
  workflowExecutionId: 1,
  task: `t${id}`,
  sequence: 1,
  attempt: 1,
  status,
  pid: null,
  beginTime: 1_000,
  endTime,
  reason: null,
});

const work = (changes: Partial<UnitOfWork>): UnitOfWork => ({ ...emptyUnitOfWork(), ...changes });

async function read(metrics: SchedulerMetrics) {
  return parsePrometheusText(await metrics.registry.metrics());
}

test('committed task records move the live gauges; a finish is counted and timed once', async () => {
  const metrics = new SchedulerMetrics();
  metrics.committed(work({ taskExecutions: [task(1, 'queued'), task(2, 'queued')], checkpoint: 5 }), 0.001);
  metrics.committed(work({ taskExecutions: [task(1, 'running')] }), 0.001);
  let families = await read(metrics);
  assert.equal(sampleSum(families, 'aiflow_task_executions', { status: 'running' }), 1);
  assert.equal(sampleSum(families, 'aiflow_task_executions', { status: 'queued' }), 1);
  assert.equal(
    sampleSum(families, 'aiflow_executor_queue_depth'),
    1,
    'queued tasks until an executor is watched',
  );
  assert.equal(sampleSum(families, 'aiflow_scheduler_processed_offset'), 5);
  assert.equal(sampleSum(families, 'aiflow_scheduler_inputs_total', { kind: 'event' }), 1);
  assert.equal(sampleSum(families, 'aiflow_scheduler_inputs_total', { kind: 'other' }), 1);

  metrics.committed(work({ taskExecutions: [task(1, 'success', 3_500)], checkpoint: 4 }), 0.001);
  metrics.committed(work({ taskExecutions: [task(1, 'success', 3_500)] }), 0.001); // written again
  families = await read(metrics);
  assert.equal(sampleSum(families, 'aiflow_task_executions', { status: 'running' }), 0);
  assert.equal(sampleSum(families, 'aiflow_task_executions_finished_total', { status: 'success' }), 1);
  assert.equal(sampleSum(families, 'aiflow_task_execution_duration_seconds_sum', { status: 'success' }), 2.5);
  assert.equal(
    sampleSum(families, 'aiflow_scheduler_processed_offset'),
    5,
    'an older checkpoint moves nothing',
  );

  metrics.watchExecutor({ queued: 7 });
  metrics.inputHandled('request', 0.002);
  metrics.committed(work({}), 0.001);
  families = await read(metrics);
  assert.equal(sampleSum(families, 'aiflow_executor_queue_depth'), 7);
  assert.equal(sampleSum(families, 'aiflow_scheduler_unit_of_work_duration_seconds_count'), 1);
  assert.equal(
    sampleSum(families, 'aiflow_scheduler_inputs_total'),
    5,
    'once reported, commits count no inputs',
  );
});

test('a recovery replaces the live sets with what the store holds', async () => {
  const metrics = new SchedulerMetrics();
  metrics.committed(work({ taskExecutions: [task(1, 'running'), task(2, 'queued')] }), 0.001);
  const recovery = {
    runningExecutions: [{ id: 1, status: 'running' }],
    taskExecutions: [task(3, 'running'), task(4, 'success', 2_000)],
    checkpoint: 12,
  } as unknown as Recovery;
  metrics.recovered(recovery);
  const families = await read(metrics);
  assert.equal(sampleSum(families, 'aiflow_task_executions'), 1);
  assert.equal(sampleSum(families, 'aiflow_task_executions', { status: 'running' }), 1);
  assert.equal(sampleSum(families, 'aiflow_workflow_executions', { status: 'running' }), 1);
  assert.equal(sampleSum(families, 'aiflow_scheduler_processed_offset'), 12);
});
