// When an execution ends: conditional tasks that never run, and chains of instant tasks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { ROOT } from '../helpers.ts';
import {
  startExecution,
  startTestServer,
  startWithRules,
  taskExecutions,
  watchExecutions,
  watchTask,
} from '../server-harness.ts';

test('§3.3 an execution whose conditional task can never run ends, and the outcome does not depend on task order', async (t) => {
  const server = await startWithRules(t);
  const neverNeeded = await watchExecutions(t, server.url, 'never_needed');
  const a = await startExecution(server, 'never_needed');
  assert.equal(
    (await neverNeeded.finished(a)).value,
    'success',
    'cleanup (on ok failing) never ran: still ends',
  );

  const settles = await watchExecutions(t, server.url, 'settles');
  const slow = await watchTask(t, server.url, 'settles', 'slow');
  const b = await startExecution(server, 'settles');
  const final = await settles.finished(b);
  assert.equal(final.value, 'failed');
  const slowDone = await slow.reached('success');
  assert.ok(final.offset > slowDone.offset, 'not failed while `slow` still ran');
});

test('startAfter with instant tasks: every task runs exactly once, and the execution ends only after the last', async (t) => {
  const server = await startTestServer(t);
  assert.equal(
    (await server.cli('workflow', 'upload', join(ROOT, 'test/fixtures/scheduler/fast-chain.ts'))).code,
    0,
  );
  const executions = await watchExecutions(t, server.url, 'fast_chain');
  const id = await startExecution(server, 'fast_chain');
  assert.equal((await executions.finished(id)).value, 'success');
  const rows = await taskExecutions(server, id);
  assert.deepEqual(
    rows.map((r) => [r.task, r.sequence, r.status]),
    Array.from({ length: 10 }, (_, i) => [`t${i + 1}`, 1, 'success']),
  );
});
