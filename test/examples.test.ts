import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { deferred, ROOT, run, startTestBroker } from './helpers.ts';

const example = (name: string) => join(ROOT, 'examples', name);
const TSX = ['--import', 'tsx'];

test('examples: a task sends an event and a Counter listener counts it', async (t) => {
  const broker = await startTestBroker(t);
  // What the scheduler sets for a task process.
  const taskEnv = {
    AIFLOW_SERVER: broker.url,
    AIFLOW_NAMESPACE: 'demo',
    AIFLOW_SENDER: '1_task1_1',
    AIFLOW_CONTEXT: '{"workflowExecutionId":1}',
  };
  const counter = spawn(process.execPath, [...TSX, example('counter-listener.ts'), 'key', '3'], {
    cwd: ROOT,
    env: { ...process.env, ...taskEnv },
  });
  t.after(() => counter.kill('SIGKILL'));
  let output = '';
  const listening = deferred();
  counter.stdout.on('data', (c: Buffer) => {
    output += c.toString();
    if (output.includes('listening to key')) listening.resolve();
  });
  counter.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(counter, 'exit');
  await listening.promise;

  for (let i = 0; i < 3; i++) {
    const sent = await run(process.execPath, [...TSX, example('send-event.ts'), 'key', `message ${i}`], {
      env: taskEnv,
    });
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, new RegExp(`^sent key="message ${i}" at offset ${i + 1} in demo\\n$`));
  }
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, output);
  assert.match(output, /counted 3 event\(s\) with key key/);

  const stored = await broker.log.list({ namespace: 'demo' });
  assert.deepEqual(
    stored.map((e) => [e.key, e.sender, e.context]),
    Array.from({ length: 3 }, () => ['key', '1_task1_1', '{"workflowExecutionId":1}']),
  );
});
