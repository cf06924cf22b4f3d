import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isAlive } from '../../cli/home.ts';
import { readLeaseFile } from '../../scheduler/store/sqlite-lease.ts';
import { metadataFile } from '../../server/index.ts';
import { spawnAiflow } from '../aiflow-process.ts';
import { AIFLOW_BIN, freePort, ROOT, run, tempDir } from '../helpers.ts';
import { watchExecutions, watchTask } from '../server-harness.ts';

/** `aiflow server start` as users run it: the broker here, the scheduler in a child process. */
async function startServerCli(t: TestContext, extra: string[] = []) {
  const home = tempDir(t);
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const server = spawnAiflow(t, [
    'server',
    'start',
    '--port',
    String(port),
    '--no-ws',
    '--home',
    home,
    ...extra,
  ]);
  await server.printed('listening on');
  const schedulerPid = Number(/scheduler pid (\d+)/.exec(server.stdout())?.[1]);
  t.after(() => {
    if (isAlive(schedulerPid)) process.kill(schedulerPid, 'SIGKILL');
  });
  const aiflow = (...args: string[]) => run(process.execPath, [AIFLOW_BIN, ...args, '-s', url]);
  return { home, url, server, schedulerPid, aiflow };
}

test('server start runs a workflow with the scheduler in its own process; server stop stops both', async (t) => {
  const { home, url, server, schedulerPid, aiflow } = await startServerCli(t, ['--parallelism', '3']);
  assert.notEqual(schedulerPid, server.child.pid);
  assert.ok(isAlive(schedulerPid));
  assert.match(
    server.stderr(),
    /aiflow scheduler running against .* parallelism 3\)/,
    'child output forwarded',
  );
  assert.equal(readLeaseFile(metadataFile(home))?.pid, schedulerPid, 'the child holds the lease');

  assert.equal((await aiflow('workflow', 'upload', join(ROOT, 'examples/workflows/quickstart.ts'))).code, 0);
  const executions = await watchExecutions(t, url, 'quickstart');
  const started = await aiflow('workflow-execution', 'start', 'quickstart', '-o', 'json');
  const { id } = JSON.parse(started.stdout) as { id: number };
  assert.equal((await executions.finished(id)).value, 'success');

  const stop = await run(process.execPath, [AIFLOW_BIN, 'server', 'stop', '--home', home]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.deepEqual(await server.exited, [0, null]);
  assert.equal(isAlive(schedulerPid), false, 'no scheduler process left behind');
  assert.match(server.stderr(), /aiflow scheduler stopped/, 'the child stopped gracefully');
  assert.equal(readLeaseFile(metadataFile(home))?.expiresAt, 0, 'the lease was released');
});

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

test('the scheduler process does not outlive a server killed with SIGKILL', async (t) => {
  const { server, schedulerPid } = await startServerCli(t);
  server.child.kill('SIGKILL');
  await server.exited;
  // No event tells the end of a process that is not our child: poll, with a deadline.
  for (let waited = 0; isAlive(schedulerPid); waited += 50) {
    assert.ok(waited < 30_000, `scheduler ${schedulerPid} still running 30 s after its server died`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
