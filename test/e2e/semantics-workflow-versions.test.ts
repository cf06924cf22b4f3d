// Disabled workflows, and executions pinned to the version they started with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../helpers.ts';
import {
  sendEvent,
  startExecution,
  startTestServer,
  startWithRules,
  taskExecutions,
  watchExecutions,
} from '../server-harness.ts';

test('§3.7 a disabled workflow cannot be started', async (t) => {
  const server = await startWithRules(t);
  assert.equal((await server.cli('workflow', 'disable', 'never_needed')).code, 0);
  const refused = await server.cli('workflow-execution', 'start', 'never_needed');
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'aiflow: CONFLICT: workflow never_needed is disabled\n');
  assert.equal((await server.cli('workflow', 'enable', 'never_needed')).code, 0);
  assert.equal((await server.cli('workflow-execution', 'start', 'never_needed')).code, 0);
});

test('§3.8 a running execution keeps the snapshot it started with when the workflow is re-uploaded', async (t) => {
  const server = await startTestServer(t);
  const dir = tempDir(t);
  const version = (v: string) => {
    const file = join(dir, 'pinned.ts');
    writeFileSync(
      file,
      `import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';\n` +
        `const w = new Workflow('pinned');\n` +
        `w.bash('t', 'echo running ${v}').actionOnEventReceived(TaskAction.START, 'go');\n` +
        `export default w;\n`,
    );
    return file;
  };
  assert.equal((await server.cli('workflow', 'upload', version('v1'))).code, 0);
  const executions = await watchExecutions(t, server.url, 'pinned');
  const old = await startExecution(server, 'pinned');
  assert.equal((await server.cli('workflow', 'upload', version('v2'))).code, 0);
  const fresh = await startExecution(server, 'pinned');
  await sendEvent(server, 'go'); // reaches both executions
  await executions.finished(old);
  await executions.finished(fresh);
  const log = async (execution: number) => {
    const [row] = await taskExecutions(server, execution);
    return (await server.cli('task-execution', 'logs', String(row!.id))).stdout;
  };
  assert.match(await log(old), /running v1/);
  assert.match(await log(fresh), /running v2/);
});
