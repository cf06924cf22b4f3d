import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LogRecord } from '../../broker/logger.ts';
import { startServerCli } from '../aiflow-process.ts';
import { tempDir } from '../helpers.ts';
import { startTestServer, watchExecutions } from '../server-harness.ts';

const MODULE = `import { Workflow } from 'aiflow-mqtt/workflow';
export const etl = new Workflow('etl');
const a = etl.bash('a', 'true');
etl.bash('b', 'exit 4').startAfter(a);
`;

/** Resolves once a record starting with `message` is in `records` (lines are written asynchronously). */
async function logged(records: LogRecord[], message: string): Promise<void> {
  for (let tries = 0; !records.some((r) => r.message.startsWith(message)); tries++) {
    assert.ok(tries < 500, `no log line ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function moduleFile(t: Parameters<typeof tempDir>[0]): string {
  const file = join(tempDir(t), 'etl.ts');
  writeFileSync(file, MODULE);
  return file;
}

test('the scheduler logs one info line per execution and task transition, and each routed event at debug', async (t) => {
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', moduleFile(t))).code, 0);
  const executions = await watchExecutions(t, server.url, 'etl');
  const { id } = JSON.parse((await server.cli('workflow-execution', 'start', 'etl', '-o', 'json')).stdout);
  await executions.finished(id);
  await logged(server.records, `execution ${id} of etl: failed`);
  const info = server.records.filter((r) => r.level === 'info').map((r) => r.message);
  const ofExecution = info.filter((m) => m.includes(`execution ${id}`));
  assert.deepEqual(
    ofExecution.map((m) => m.replace(/\(\d+\.\d s\)/, '(T)')),
    [
      `execution ${id} of etl started (manual)`,
      `task a of execution ${id}: queued`,
      `task a of execution ${id}: queued → running (T)`,
      `task a of execution ${id}: running → success (T)`,
      `task b of execution ${id}: queued`,
      `task b of execution ${id}: queued → running (T)`,
      `task b of execution ${id}: running → failed (T): exit code 4`,
      `execution ${id} of etl: failed (T)`,
    ],
  );
  const routed = server.records.filter((r) => r.level === 'debug' && r.message === 'event routed');
  assert.ok(
    routed.some((r) => r.fields.key === '$workflow/etl' && r.fields.namespace === 'default'),
    'status events are routed events too',
  );
});

test('server start --log-format json writes its own and its scheduler child lines as JSON', async (t) => {
  const { server, aiflow } = await startServerCli(t, ['--log-format', 'json']);
  assert.equal((await aiflow('workflow', 'upload', moduleFile(t))).code, 0);
  const waited = await aiflow('workflow-execution', 'start', 'etl', '--wait');
  assert.equal(waited.code, 1, waited.stderr);
  const id = Number(/workflow execution (\d+) failed/.exec(waited.stdout)?.[1]);
  await server.printed(`execution ${id} of etl: failed`);
  // The child's own stdout lines (`aiflow scheduler running against …`) are forwarded too; every other line is JSON.
  const lines = server
    .stderr()
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('aiflow scheduler '));
  const records = lines.map((line) => JSON.parse(line) as { level: string; msg: string });
  assert.ok(
    records.some((r) => r.msg === 'scheduler process running'),
    'the server line',
  );
  assert.ok(
    records.some((r) => r.level === 'info' && r.msg === `task a of execution ${id}: queued`),
    'the scheduler child line',
  );
});
