import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import mqtt from 'mqtt';
import { formatSchedulerPassword } from '../../protocol/scheduler-credential.ts';
import { SCHEDULER_USERNAME } from '../../protocol/topics.ts';
import { readLeaseFile } from '../../scheduler/store/sqlite-lease.ts';
import { metadataFile, schedulerTokenFile } from '../../server/index.ts';
import { spawnAiflow, type AiflowProcess } from '../aiflow-process.ts';
import { AIFLOW_BIN, freePort, run, startServerProcess, tempDir } from '../helpers.ts';

const LEASE = ['--lease-duration-ms', '500'];

async function brokerAlone(t: TestContext) {
  const home = tempDir(t);
  const port = await freePort();
  await startServerProcess(t, { home, port, args: ['--no-scheduler'] });
  return { home, url: `mqtt://127.0.0.1:${port}` };
}

function startSchedulerCli(t: TestContext, home: string, url: string, lease = LEASE): AiflowProcess {
  return spawnAiflow(t, ['scheduler', 'start', '--home', home, '-s', url, ...lease]);
}

/** Logs in as the scheduler with a given fencing token; resolves true if the broker accepts it. */
async function brokerAccepts(url: string, home: string, fencingToken: number): Promise<boolean> {
  const secret = readFileSync(schedulerTokenFile(home), 'utf8').trim();
  const password = formatSchedulerPassword({ fencingToken, secret });
  try {
    const client = await mqtt.connectAsync(url, {
      username: SCHEDULER_USERNAME,
      password,
      reconnectPeriod: 0,
    });
    await client.endAsync(true);
    return true;
  } catch (error) {
    assert.match((error as Error).message, /Bad username or password/i);
    return false;
  }
}

test('a frozen scheduler loses its lease once it expires: the next one takes over and the old token is refused', async (t) => {
  const { home, url } = await brokerAlone(t);
  const first = startSchedulerCli(t, home, url);
  await first.printed('scheduler running');
  assert.equal(readLeaseFile(metadataFile(home))?.token, 1);
  first.child.kill('SIGSTOP'); // alive, but no longer renewing
  t.after(() => first.child.kill('SIGCONT'));

  // Refused while the lease has not expired, taken over after: each attempt is a new process.
  let second: AiflowProcess | undefined;
  for (let attempt = 1; !second; attempt++) {
    const candidate = startSchedulerCli(t, home, url);
    const outcome = await Promise.race([
      candidate.printed('scheduler running').then(() => 'running' as const),
      candidate.exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'running') second = candidate;
    else {
      assert.match(candidate.stderr(), /^aiflow: SCHEDULER_RUNNING: .*\(pid \d+ on .+\)\n$/);
      assert.ok(attempt < 20, 'the expired lease was never taken over');
    }
  }
  assert.equal(readLeaseFile(metadataFile(home))?.token, 2);
  assert.equal(await brokerAccepts(url, home, 1), false, 'the stale token is refused');
  assert.equal(await brokerAccepts(url, home, 2), true, 'the current token is accepted');

  first.child.kill('SIGCONT'); // it wakes up, fails to renew, stops and exits non-zero
  const [code] = await first.exited;
  assert.equal(code, 1);
  assert.match(
    first.stderr(),
    /aiflow: SCHEDULER_LEASE_LOST: scheduler lease 1 lost: another scheduler took/,
  );

  const list = await run(process.execPath, [AIFLOW_BIN, 'workflow', 'list', '-o', 'json', '-s', url]);
  assert.equal(list.stdout.trim(), '[]', 'the new scheduler serves requests');
  second.child.kill('SIGTERM');
  assert.deepEqual(await second.exited, [0, null]);
});

test('a scheduler killed with SIGKILL is replaced at once, long before its lease would expire', async (t) => {
  const { home, url } = await brokerAlone(t);
  const hour = ['--lease-duration-ms', '3600000'];
  const first = startSchedulerCli(t, home, url, hour);
  await first.printed('scheduler running');
  first.child.kill('SIGKILL');
  await first.exited;
  // Its pid is gone from this host: the next start takes over instead of failing with SCHEDULER_RUNNING.
  const second = startSchedulerCli(t, home, url, hour);
  await second.printed('lease 2');
  assert.equal(await brokerAccepts(url, home, 1), false);
  second.child.kill('SIGTERM');
  assert.deepEqual(await second.exited, [0, null]);
});
