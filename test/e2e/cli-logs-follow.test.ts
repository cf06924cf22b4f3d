import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnAiflow } from '../aiflow-process.ts';
import { tempDir } from '../helpers.ts';
import { startTestServer, watchTask } from '../server-harness.ts';

test('task-execution logs -f prints lines as the task writes them and exits when it ends', async (t) => {
  const server = await startTestServer(t);
  const dir = tempDir(t);
  const gate = join(dir, 'go');
  const file = join(dir, 'talk.ts');
  writeFileSync(
    file,
    `import { Workflow } from 'aiflow-mqtt/workflow';
const talk = new Workflow('talk');
talk.bash('t', 'echo one; while [ ! -e ${gate} ]; do sleep 0.05; done; echo two; echo three >&2');
export default talk;
`,
  );
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  const task = await watchTask(t, server.url, 'talk', 't');
  assert.equal((await server.cli('workflow-execution', 'start', 'talk')).code, 0);
  const taskExecutionId = JSON.parse((await task.reached('running')).context!).taskExecutionId as number;

  const follower = spawnAiflow(t, [
    'task-execution',
    'logs',
    String(taskExecutionId),
    '-f',
    '-s',
    server.url,
  ]);
  await follower.printed('one\n');
  assert.equal(follower.stdout(), 'one\n', 'the second line is not written before the gate opens');
  writeFileSync(gate, '');
  const [code] = await follower.exited;
  assert.equal(code, 0, follower.stderr());
  assert.equal(follower.stdout(), 'one\ntwo\nthree\n');
  const whole = await server.cli('task-execution', 'logs', String(taskExecutionId));
  assert.equal(whole.stdout, follower.stdout(), 'the follower printed the log exactly once');
});
