import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AIFlowError } from '../../protocol/errors.ts';
import {
  LOCAL_EXECUTOR_DEFAULTS,
  LocalTaskExecutor,
  TASK_RUNTIME_ENV,
} from '../../scheduler/executor/index.ts';
import { errorReason, exitOutcome, settleOutcome } from '../../scheduler/executor/outcome.ts';
import { taskIdentityFromEnv, taskRuntimeEnv } from '../../scheduler/executor/runtime.ts';
import { isRunnerSpec, isTaskEnd, taskFiles } from '../../scheduler/executor/task-files.ts';

const stop = { status: 'stopped', reason: 'stopped on request' } as const;
const timeout = { status: 'failed', reason: 'timeout after 5 ms' } as const;

test('exitOutcome: 0 succeeds, anything else fails with the code or the signal', () => {
  assert.deepEqual(exitOutcome(0, null), {
    status: 'success',
    exitCode: 0,
    signal: null,
    reason: 'exit code 0',
  });
  assert.deepEqual(exitOutcome(3, null), {
    status: 'failed',
    exitCode: 3,
    signal: null,
    reason: 'exit code 3',
  });
  assert.deepEqual(exitOutcome(null, 'SIGKILL'), {
    status: 'failed',
    exitCode: null,
    signal: 'SIGKILL',
    reason: 'killed by signal SIGKILL',
  });
});

test('settleOutcome: without a stop or a signal the work decides', () => {
  assert.deepEqual(settleOutcome(exitOutcome(3, null), undefined, false), exitOutcome(3, null));
});

test('settleOutcome: a stop request turns any end but a success into its verdict', () => {
  assert.deepEqual(settleOutcome(exitOutcome(null, 'SIGTERM'), stop, false), {
    status: 'stopped',
    exitCode: null,
    signal: 'SIGTERM',
    reason: 'stopped on request',
  });
  assert.equal(settleOutcome(exitOutcome(null, 'SIGTERM'), timeout, true).reason, 'timeout after 5 ms');
  assert.equal(
    settleOutcome(exitOutcome(0, null), stop, false).status,
    'success',
    'the success beat the signal',
  );
});

test('settleOutcome: a signalled runner reports a stop even if its work exited with 0', () => {
  assert.equal(settleOutcome(exitOutcome(0, null), stop, true).status, 'stopped');
  assert.deepEqual(settleOutcome(exitOutcome(0, null), undefined, true), {
    status: 'stopped',
    exitCode: 0,
    signal: null,
    reason: 'stopped by SIGTERM',
  });
});

test('errorReason is one bounded line', () => {
  assert.equal(errorReason(new TypeError('bad\nsecond line')), 'TypeError: bad');
  assert.equal(errorReason('text'), 'thrown: text');
  assert.equal(errorReason(new Error('x'.repeat(2000))).length, 500);
});

test('the runtime variables round-trip through the environment', () => {
  const identity = { namespace: 'ns', workflowExecutionId: 3, taskExecutionId: 7, sequence: 2 };
  const env = taskRuntimeEnv(identity);
  assert.equal(env[TASK_RUNTIME_ENV.workflowExecutionId], '3');
  assert.equal(TASK_RUNTIME_ENV.namespace, 'AIFLOW_NAMESPACE');
  assert.deepEqual(taskIdentityFromEnv(env), identity);
  assert.deepEqual(taskIdentityFromEnv({ [TASK_RUNTIME_ENV.sequence]: 'x' }), {
    namespace: 'default',
    workflowExecutionId: 0,
    taskExecutionId: 0,
    sequence: 0,
  });
});

test('task files are named after the task execution id', () => {
  assert.deepEqual(taskFiles('/data', 7), {
    spec: '/data/7.spec.json',
    log: '/data/7.log',
    pid: '/data/7.pid.json',
    started: '/data/7.started',
    status: '/data/7.status.json',
    stop: '/data/7.stop.json',
    exit: '/data/7.exit',
  });
});

test('file guards reject malformed content', () => {
  assert.equal(isTaskEnd({ status: 'success', exitCode: 0, signal: null, reason: '', endTime: 1 }), true);
  assert.equal(isTaskEnd({ status: 'done', exitCode: 0, signal: null, reason: '', endTime: 1 }), false);
  const spec = {
    taskExecutionId: 1,
    operator: { type: 'bash', command: 'true' },
    env: { A: 'b' },
    logFile: 'l',
    statusFile: 's',
    stopFile: 'p',
  };
  assert.equal(isRunnerSpec(spec), true);
  assert.equal(isRunnerSpec({ ...spec, env: { A: 1 } }), false);
  assert.equal(isRunnerSpec({ ...spec, operator: { type: 'function', moduleFile: 'm' } }), false);
});

test('options are validated eagerly, with defaults', () => {
  assert.deepEqual(LOCAL_EXECUTOR_DEFAULTS, { parallelism: 10, stopGraceMs: 10_000, pollIntervalMs: 500 });
  const invalid = (message: string) => (error: unknown) =>
    error instanceof AIFlowError && error.code === 'INVALID_OPTION' && error.message === message;
  assert.throws(
    () => new LocalTaskExecutor({ dataDir: '/tmp/x', parallelism: 0 }),
    invalid('parallelism must be a positive integer, got 0'),
  );
  assert.throws(
    () => new LocalTaskExecutor({ dataDir: '' }),
    invalid('dataDir must be a folder path, got ""'),
  );
  assert.throws(
    () => new LocalTaskExecutor({ dataDir: '/tmp/x', stopGraceMs: -1 }),
    invalid('stopGraceMs must be a number of milliseconds ≥ 0, got -1'),
  );
  const executor = new LocalTaskExecutor({ dataDir: 'relative/dir' });
  assert.equal(executor.dataDir, `${process.cwd()}/relative/dir`, 'made absolute, without creating it');
});
