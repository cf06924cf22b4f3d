import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readLeaseFile } from '../../scheduler/store/sqlite-lease.ts';
import { metadataFile } from '../../server/index.ts';
import { startServerCli } from '../aiflow-process.ts';
import { AIFLOW_BIN, ROOT, run } from '../helpers.ts';
import { watchExecutions, watchTask } from '../server-harness.ts';

test('a killed scheduler process is restarted by the server and the running workflow completes', async (t) => {
  const { home, url, server, schedulerPid, aiflow } = await startServerCli(t);
  assert.equal((await aiflow('workflow', 'upload', join(ROOT, 'test/fixtures/scheduler/chain.ts'))).code, 0);
  const a = await watchTask(t, url, 'chain', 'a');
  const executions = await watchExecutions(t, url, 'chain');
  const started = await aiflow('workflow-execution', 'start', 'chain', '-o', 'json');
  const { id } = JSON.parse(started.stdout) as { id: number };
  await a.reached('running');
  process.kill(schedulerPid, 'SIGKILL');

  assert.equal((await executions.finished(id)).value, 'success');
  await server.printed('scheduler process exited: restarting');
  const lease = readLeaseFile(metadataFile(home));
  assert.notEqual(lease?.pid, schedulerPid);
  assert.equal(lease?.token, 2, 'the new scheduler took the lease over with the next token');
  const listed = await aiflow('task-execution', 'list', String(id), '-o', 'json');
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { task: string; status: string }[]).map((r) => [r.task, r.status]),
    [
      ['a', 'success'],
      ['b', 'success'],
      ['c', 'success'],
    ],
  );
});

test('scheduler start next to a running server start fails with SCHEDULER_RUNNING naming its pid', async (t) => {
  const { home, url, schedulerPid, aiflow } = await startServerCli(t);
  const second = await run(process.execPath, [AIFLOW_BIN, 'scheduler', 'start', '--home', home, '-s', url]);
  assert.equal(second.code, 1);
  assert.equal(
    second.stderr,
    `aiflow: SCHEDULER_RUNNING: a scheduler is already running for ${home} (pid ${schedulerPid} on ${hostname()})\n`,
  );
  assert.equal(
    (await aiflow('workflow', 'list', '-o', 'json')).stdout.trim(),
    '[]',
    'the first one still serves',
  );
});
