import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isProcessRunning } from '../../scheduler/process-liveness.ts';
import { readLeaseFile } from '../../scheduler/store/sqlite-lease.ts';
import { metadataFile } from '../../server/index.ts';
import { startServerCli } from '../aiflow-process.ts';
import { AIFLOW_BIN, ROOT, run } from '../helpers.ts';
import { watchExecutions } from '../server-harness.ts';

test('server start runs a workflow with the scheduler in its own process; server stop stops both', async (t) => {
  const { home, url, server, schedulerPid, aiflow } = await startServerCli(t, ['--parallelism', '3']);
  assert.notEqual(schedulerPid, server.child.pid);
  assert.ok(isProcessRunning(schedulerPid));
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
  assert.equal(isProcessRunning(schedulerPid), false, 'no scheduler process left behind');
  assert.match(server.stderr(), /aiflow scheduler stopped/, 'the child stopped gracefully');
  assert.equal(readLeaseFile(metadataFile(home))?.expiresAt, 0, 'the lease was released');
});

test('the scheduler process does not outlive a server killed with SIGKILL', async (t) => {
  const { server, schedulerPid } = await startServerCli(t);
  server.child.kill('SIGKILL');
  await server.exited;
  // No event tells the end of a process that is not our child: poll, with a deadline.
  for (let waited = 0; isProcessRunning(schedulerPid); waited += 50) {
    assert.ok(waited < 30_000, `scheduler ${schedulerPid} still running 30 s after its server died`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
