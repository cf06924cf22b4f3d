// Why did this task run? `task-execution show` names the rule and the event (sent by mosquitto_pub), the restart's
// rule, and the stop's request, against a real server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../../protocol/event.ts';
import type { TaskExecutionInfo } from '../../protocol/scheduler-api.ts';
import type { TaskStatusContext } from '../../protocol/status-events.ts';
import { requireProgram, run } from '../helpers.ts';
import {
  startExecution,
  startWithRules,
  taskExecutions,
  watchTask,
  type TestServer,
} from '../server-harness.ts';

const HINT = 'Debian package mosquitto-clients: apt-get install -y mosquitto-clients';

async function show(server: TestServer, id: number): Promise<{ text: string; info: TaskExecutionInfo }> {
  const text = await server.cli('task-execution', 'show', String(id));
  assert.equal(text.code, 0, text.stderr);
  const json = await server.cli('task-execution', 'show', String(id), '-o', 'json');
  assert.equal(json.code, 0, json.stderr);
  return { text: text.stdout, info: JSON.parse(json.stdout) as TaskExecutionInfo };
}

test('task-execution show names the rule, event offset, key and sender that started a task, the rule that restarted it and the request that stopped it', async (t) => {
  if (!requireProgram(t, 'mosquitto_pub', HINT)) return;
  const server = await startWithRules(t);
  const task = await watchTask(t, server.url, 'actions', 't');
  const id = await startExecution(server, 'actions');
  const port = new URL(server.url).port;
  const pub = await run('mosquitto_pub', [
    '-p',
    port,
    '-i',
    'trainer-7',
    '-q',
    '1',
    '-t',
    'ns/default/start',
    '-m',
    'go',
  ]);
  assert.equal(pub.code, 0, pub.stderr);
  const queued = await task.reached('queued');
  await task.reached('running');
  const listed = await server.cli('event', 'list', '-k', 'start', '-o', 'json');
  const [sent] = JSON.parse(listed.stdout) as Event[];
  assert.equal(sent?.sender, 'trainer-7');

  const [first] = await taskExecutions(server, id);
  const started = await show(server, first!.id);
  assert.match(
    started.text,
    new RegExp(
      `started by rule 0 actionOnEventReceived\\(START, "start"\\) on event ${sent.offset.toLocaleString('en-US')} start from trainer-7 at `,
    ),
  );
  const [action] = started.info.actions;
  assert.deepEqual(action?.cause, {
    kind: 'rule',
    rule: 0,
    text: 'actionOnEventReceived(START, "start")',
    condition: 'on event "start"',
    event: {
      offset: sent.offset,
      namespace: 'default',
      key: 'start',
      sender: 'trainer-7',
      createTime: sent.createTime,
    },
  });
  assert.deepEqual((JSON.parse(queued.context!) as TaskStatusContext).cause, {
    actionId: action!.id,
    action: 'start',
    kind: 'rule',
    rule: 0,
    eventOffset: sent.offset,
  });

  const restart = await run('mosquitto_pub', [
    '-p',
    port,
    '-i',
    'trainer-7',
    '-q',
    '1',
    '-t',
    'ns/default/restart',
    '-m',
    'go',
  ]);
  assert.equal(restart.code, 0, restart.stderr);
  await task.reached('stopped');
  await task.reachedTimes('running', 2);
  const [, second] = await taskExecutions(server, id);
  const restarted = await show(server, second!.id);
  assert.match(
    restarted.text,
    /restarted by rule 1 actionOnEventReceived\(RESTART, "restart"\) .* from trainer-7 at /,
  );
  assert.match(
    (await show(server, first!.id)).text,
    /stopped by rule 1 actionOnEventReceived\(RESTART, "restart"\)/,
  );

  const stop = await server.cli('task-execution', 'stop', String(id), 't');
  assert.equal(stop.code, 0, stop.stderr);
  await task.reachedTimes('stopped', 2);
  const stopped = await show(server, second!.id);
  assert.match(stopped.text, /stopped by request taskExecution\.stop from aiflow-/);
  const last = stopped.info.actions.at(-1)!;
  assert.equal(last.action, 'stop');
  assert.equal(last.cause.kind === 'request' && last.cause.method, 'taskExecution.stop');
  assert.match(last.cause.kind === 'request' ? (last.cause.client ?? '') : '', /^aiflow-/, 'the requester');
});
