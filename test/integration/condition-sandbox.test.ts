import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { createLogger, type LogRecord } from '../../broker/index.ts';
import type { Event } from '../../protocol/event.ts';
import { conditionScope, keepSnapshotsWarm } from '../../scheduler/condition-scope.ts';
import { isMet } from '../../scheduler/conditions.ts';
import type { SnapshotRecord } from '../../scheduler/store/records.ts';
import type { ConditionSpec } from '../../workflow/spec.ts';
import {
  ConditionSandbox,
  type ConditionSandboxOptions,
  type SandboxEvaluation,
  type SandboxSnapshot,
} from '../../scheduler/condition-sandbox.ts';
import { deferred, ROOT, tempDir } from '../helpers.ts';

const SOURCE = readFileSync(join(ROOT, 'test', 'fixtures', 'scheduler', 'sandbox-conditions.ts'), 'utf8');

function setup(t: TestContext, options: ConditionSandboxOptions = {}, source = SOURCE) {
  const records: LogRecord[] = [];
  const logged = new EventEmitter<{ record: [LogRecord] }>();
  const logger = createLogger('debug', (record) => {
    records.push(record);
    logged.emit('record', record);
  });
  const sandbox = new ConditionSandbox({ timeoutMs: 2_000, logger, ...options });
  t.after(() => sandbox.close());
  const target: SandboxSnapshot = {
    dataDir: tempDir(t),
    snapshot: { id: 1, fileName: 'sandbox-conditions.ts', source },
  };
  /** Resolves with the pid of the next sandbox process that becomes ready. */
  const nextReady = () =>
    new Promise<number>((resolve) => {
      const onRecord = (record: LogRecord) => {
        if (record.message !== 'condition process ready') return;
        logged.off('record', onRecord);
        resolve(Number(record.fields.pid));
      };
      logged.on('record', onRecord);
    });
  return { sandbox, target, records, logger, logged, nextReady };
}

/** The file the `blocks` condition writes its process id to, and that id once it is written. */
function markerFile(t: TestContext) {
  const dir = tempDir(t);
  const marker = join(dir, 'evaluating');
  const runningPid = deferred<number>();
  const watcher = watch(dir, () => {
    const pid = Number(readFileSync(marker, { encoding: 'utf8', flag: 'a+' }));
    if (pid > 0) runningPid.resolve(pid);
  });
  t.after(() => watcher.close());
  return { marker, runningPid: runningPid.promise };
}

/** Whether a process runs (a zombie does not). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function evaluation(task: string, value: string, states: Record<string, unknown> = {}): SandboxEvaluation {
  return { workflow: 'conditions', path: `${task}/0`, event: event(value), states, taskStatuses: {} };
}

function event(value: string): Event {
  return { offset: 1, key: 'n', value, namespace: 'default', sender: 'test', context: null, createTime: 0 };
}

test('a custom condition is met on first use, however long its process takes to start', async (t) => {
  // The module spends longer at load than the time limit allows one evaluation: the start is not timed.
  const slowLoad = `${SOURCE}\nconst loadedAt = Date.now() + 1_500;\nwhile (Date.now() < loadedAt);\n`;
  const { sandbox, target } = setup(t, { timeoutMs: 1_000 }, slowLoad);
  assert.deepEqual(await sandbox.evaluate(target, evaluation('even', '2', { seen: 4 })), {
    ok: true,
    met: true,
    updates: { seen: 5 },
  });
  assert.deepEqual(await sandbox.evaluate(target, evaluation('even', '3')), {
    ok: true,
    met: false,
    updates: { seen: 1 },
  });
});

test('the snapshots in use with custom conditions get a process started ahead, which answers the first evaluation', async (t) => {
  const { sandbox, target, nextReady } = setup(t);
  const record = (id: number, condition: ConditionSpec): SnapshotRecord => ({
    ...target.snapshot,
    id,
    workflowId: 1,
    createTime: 0,
    spec: { name: 'conditions', tasks: [{ name: 'even', rules: [{ action: 'start', condition }] }] } as never,
  });
  const builtinOnly = record(2, { type: 'event', key: 'n' });
  const ready = nextReady();
  keepSnapshotsWarm(sandbox, target.dataDir, [
    record(1, { type: 'custom', path: 'even/0', keys: ['n'] }),
    builtinOnly,
  ]);
  const pid = await ready;
  assert.deepEqual(sandbox.pids(target), [pid]);
  assert.deepEqual(sandbox.pids({ dataDir: target.dataDir, snapshot: builtinOnly }), []);
  assert.equal((await sandbox.evaluate(target, evaluation('even', '8'))).ok, true);
  assert.deepEqual(sandbox.pids(target), [pid]);
});

test('a pool has the configured number of processes, and an unused one closes once idle', async (t) => {
  const { sandbox, target, logged } = setup(t, { poolSize: 2, idleMs: 200 });
  const idle = new Promise<void>((resolve) =>
    logged.on('record', (record) => {
      if (record.message === 'condition processes closed, idle') resolve();
    }),
  );
  const outcomes = await Promise.all([
    sandbox.evaluate(target, evaluation('even', '2')),
    sandbox.evaluate(target, evaluation('even', '3')),
  ]);
  assert.deepEqual(
    outcomes.map((o) => o.ok && o.met),
    [true, false],
  );
  const pids = sandbox.pids(target);
  assert.equal(new Set(pids).size, 2);
  await idle;
  assert.deepEqual(sandbox.pids(target), []);
  for (const pid of pids) assert.equal(isRunning(pid), false);
  // The next need starts the pool again.
  assert.equal((await sandbox.evaluate(target, evaluation('even', '4'))).ok, true);
});

test('invalid options are refused', () => {
  for (const options of [{ poolSize: 0 }, { timeoutMs: 1.5 }, { idleMs: -1 }]) {
    assert.throws(() => new ConditionSandbox(options), { code: 'INVALID_OPTION' });
  }
});

test('a batch of evaluations travels in one round trip and returns its outcomes in order', async (t) => {
  const { sandbox, target } = setup(t);
  await sandbox.evaluate(target, evaluation('even', '0')); // started and warm
  const before = sandbox.roundTrips;
  const values = Array.from({ length: 50 }, (_, i) => String(i));
  const outcomes = await sandbox.evaluateMany(
    target,
    values.map((value) => evaluation('even', value)),
  );
  assert.equal(sandbox.roundTrips - before, 1);
  assert.deepEqual(
    outcomes.map((o) => o.ok && o.met),
    values.map((v) => Number(v) % 2 === 0),
  );
  // Evaluations asked for together (one event reaching several executions) are batched as well.
  const together = await Promise.all(
    values.map((value) => sandbox.evaluate(target, evaluation('even', value))),
  );
  assert.equal(sandbox.roundTrips - before, 2);
  assert.deepEqual(together, outcomes);
});

test('one event reaching many executions with the same custom condition costs one round trip', async (t) => {
  const { sandbox, target, logger } = setup(t);
  await sandbox.evaluate(target, evaluation('even', '0')); // started and warm
  const snapshot = {
    ...target.snapshot,
    workflowId: 1,
    spec: { name: 'conditions', tasks: [] } as never,
    createTime: 0,
  };
  const executions = Array.from({ length: 20 }, (_, i) => ({
    id: i + 1,
    state: new Map<string, unknown>([['seen', i]]),
  }));
  const scopes = executions.map((execution) =>
    conditionScope(
      {
        workflow: 'conditions',
        snapshot,
        stateScope: `execution:${execution.id}`,
        state: execution.state,
        taskStatus: () => undefined,
        label: `execution ${execution.id}`,
      },
      { sandbox, dataDir: target.dataDir, logger, recordState: () => undefined },
    ),
  );
  const condition: ConditionSpec = {
    type: 'all',
    name: 'both',
    conditions: [
      { type: 'event', key: 'n' },
      { type: 'custom', path: 'both/0/1', keys: ['n'] },
    ],
  };
  const before = sandbox.roundTrips;
  // Evaluated together, as the scheduler does for the executions one event reaches.
  const met = await Promise.all(scopes.map((scope) => isMet(condition, event('2'), scope)));
  assert.equal(sandbox.roundTrips - before, 1);
  assert.deepEqual(
    met,
    executions.map(() => true),
  );
  assert.deepEqual(
    executions.map((e) => e.state.get('seen')),
    executions.map((_, i) => i + 1),
  );
});

test('a condition that throws is not met, is logged with its name and reason, and the next one works', async (t) => {
  const { sandbox, target, logger } = setup(t);
  const records: LogRecord[] = [];
  const scope = conditionScope(
    {
      workflow: 'conditions',
      snapshot: {
        ...target.snapshot,
        workflowId: 1,
        spec: { name: 'conditions', tasks: [] } as never,
        createTime: 0,
      },
      stateScope: 'execution:1',
      state: new Map(),
      taskStatus: () => undefined,
      label: 'execution 1',
    },
    {
      sandbox,
      dataDir: target.dataDir,
      logger: createLogger('debug', (record) => {
        records.push(record);
        logger.info(record.message, record.fields);
      }),
      recordState: () => undefined,
    },
  );
  assert.equal(await scope.custom('throws/0', event('1')), false);
  const failure = records.find((r) => r.message === 'condition failed, counted as not met');
  assert.deepEqual(failure?.fields, {
    target: 'execution 1',
    condition: 'throws/0',
    reason: 'condition bug',
  });
  assert.equal(await scope.custom('even/0', event('4')), true);
});

test('an endless loop is not met, the rest of its batch is, and its process is replaced before it is needed', async (t) => {
  const { sandbox, target, nextReady, records } = setup(t, { timeoutMs: 1_000 });
  const outcomes = await sandbox.evaluateMany(target, [
    evaluation('even', '1'),
    evaluation('loops', '2'),
    evaluation('even', '4'),
  ]);
  assert.deepEqual(outcomes, [
    { ok: true, met: false, updates: { seen: 1 } },
    { ok: false, error: 'isMet took longer than 1000 ms' },
    { ok: true, met: true, updates: { seen: 1 } },
  ]);
  await sandbox.evaluate(target, evaluation('even', '0'));
  const [pid] = sandbox.pids(target);
  const replaced = nextReady();
  assert.deepEqual(await sandbox.evaluate(target, evaluation('loops', '6')), {
    ok: false,
    error: 'isMet took longer than 1000 ms',
  });
  // Started in the background, before the next evaluation needs it.
  const replacement = await replaced;
  assert.ok(records.some((r) => r.message === 'condition process lost' && r.fields.pid === pid));
  assert.notEqual(replacement, pid);
  assert.deepEqual(await sandbox.evaluate(target, evaluation('even', '8')), {
    ok: true,
    met: true,
    updates: { seen: 1 },
  });
  assert.deepEqual(sandbox.pids(target), [replacement]);
});

test('a promise that never settles is not met, and the same process answers the rest of its batch', async (t) => {
  const { sandbox, target } = setup(t, { timeoutMs: 1_000 });
  await sandbox.evaluate(target, evaluation('even', '0'));
  const [pid] = sandbox.pids(target);
  const outcomes = await sandbox.evaluateMany(target, [
    evaluation('never_settles', '1'),
    evaluation('even', '2'),
  ]);
  assert.deepEqual(outcomes, [
    { ok: false, error: 'isMet took longer than 1000 ms' },
    { ok: true, met: true, updates: { seen: 1 } },
  ]);
  assert.deepEqual(sandbox.pids(target), [pid]);
});

test('a sandbox process killed mid-evaluation is replaced and the next evaluation succeeds', async (t) => {
  const { sandbox, target, nextReady } = setup(t, { timeoutMs: 600_000 });
  const { marker, runningPid } = markerFile(t);
  const blocked = sandbox.evaluate(target, evaluation('blocks', marker));
  const pid = await runningPid;
  assert.deepEqual(sandbox.pids(target), [pid]);
  const replaced = nextReady();
  process.kill(pid, 'SIGKILL');
  assert.deepEqual(await blocked, { ok: false, error: 'the condition process exited (killed by SIGKILL)' });
  const replacement = await replaced;
  assert.deepEqual(await sandbox.evaluate(target, evaluation('even', '6')), {
    ok: true,
    met: true,
    updates: { seen: 1 },
  });
  assert.deepEqual(sandbox.pids(target), [replacement]);
});

test('a sandbox process stuck in an endless loop ends when its scheduler is killed', async (t) => {
  const { marker, runningPid } = markerFile(t);
  const owner = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test', 'fixtures', 'scheduler', 'sandbox-owner.ts'), tempDir(t), marker],
    { stdio: 'inherit' },
  );
  t.after(() => owner.kill('SIGKILL'));
  const pid = await runningPid;
  owner.kill('SIGKILL');
  await once(owner, 'exit');
  // No event tells when a process that is not our child ends: poll, with a bound.
  for (let waited = 0; isRunning(pid); waited += 100) {
    assert.ok(waited < 60_000, `sandbox process ${pid} still runs 60 s after its scheduler was killed`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

test('close kills every process, is idempotent, and later evaluations are not met', async (t) => {
  const { sandbox, target } = setup(t);
  await sandbox.evaluate(target, evaluation('even', '0'));
  const [pid] = sandbox.pids(target);
  await Promise.all([sandbox.close(), sandbox.close()]);
  assert.throws(() => process.kill(pid!, 0), { code: 'ESRCH' });
  assert.deepEqual(await sandbox.evaluate(target, evaluation('even', '2')), {
    ok: false,
    error: 'the condition sandbox is closed',
  });
});
