// event send, list, count and listen from the CLI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import YAML from 'yaml';
import type { Event } from '../../protocol/event.ts';
import { brokerForCli, cli } from './cli-in-process.ts';

test('event send prints the stored event in each output format', async (t) => {
  const { s } = await brokerForCli(t);
  const { exec } = cli();
  const json = await exec(
    'event',
    'send',
    'greeting',
    'hello',
    ...s,
    '--sender',
    'me',
    '--context',
    '{"a":1}',
    '-o',
    'json',
  );
  assert.equal(json.code, 0, json.stderr);
  const event = JSON.parse(json.stdout) as Event;
  assert.deepEqual(
    [event.offset, event.key, event.value, event.namespace, event.sender, event.context],
    [1, 'greeting', 'hello', 'default', 'me', '{"a":1}'],
  );
  assert.equal(typeof event.createTime, 'number');
  const yaml = await exec('event', 'send', 'k', '', ...s, '-n', 'other', '-o', 'yaml');
  assert.deepEqual((YAML.parse(yaml.stdout) as Event).namespace, 'other');
  const table = await exec('event', 'send', 'k', 'v', ...s);
  assert.match(table.stdout, /^OFFSET\s+KEY\s+VALUE\s+NAMESPACE/);
  assert.match(table.stdout, /\n3\s+k\s+v\s+default/);
});

test('event list and count apply every filter', async (t) => {
  const { s } = await brokerForCli(t);
  const { exec } = cli();
  await exec('event', 'send', 'a', '1', ...s, '--sender', 'x');
  await exec('event', 'send', 'b', '2', ...s, '--sender', 'y');
  await exec('event', 'send', 'a', '3', ...s, '--sender', 'y', '-n', 'other');
  await exec('event', 'send', 'a', '4', ...s, '--sender', 'y');
  const values = async (...args: string[]) => {
    const r = await exec('event', 'list', ...s, '-o', 'json', ...args);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as Event[]).map((e) => e.value).join(',');
  };
  assert.equal(await values(), '1,2,4');
  assert.equal(await values('-n', 'other'), '3');
  assert.equal(await values('--key', 'a'), '1,4');
  assert.equal(await values('-k', 'a', '-k', 'b'), '1,2,4');
  assert.equal(await values('--sender', 'y'), '2,4');
  assert.equal(await values('--begin-offset', '1'), '2,4');
  assert.equal(await values('--end-offset', '2'), '1,2');
  assert.equal(await values('--begin-time', '2000-01-01T00:00:00Z'), '1,2,4');
  assert.equal(await values('--begin-time', String(Date.now() + 60_000)), '');
  assert.equal(await values('--limit', '1'), '1');

  const count = await exec('event', 'count', ...s, '-o', 'json', '--key', 'a');
  assert.deepEqual(JSON.parse(count.stdout), {
    total: 2,
    bySender: [
      { sender: 'x', count: 1 },
      { sender: 'y', count: 1 },
    ],
  });
  const countTable = await exec('event', 'count', ...s);
  assert.match(countTable.stdout, /\(total\)\s+3/);
  const yaml = await exec('event', 'list', ...s, '-o', 'yaml', '--key', 'b');
  assert.equal((YAML.parse(yaml.stdout) as Event[])[0]?.value, '2');
});

test('event listen follows live events until stopped', async (t) => {
  const { s } = await brokerForCli(t);
  const listening = cli();
  const sender = cli();
  await sender.exec('event', 'send', 'k', 'old', ...s);
  const running = listening.exec('event', 'listen', ...s, '--key', 'k', '--begin-offset', '0', '-o', 'json');
  await listening.printed('"old"');
  await sender.exec('event', 'send', 'other', 'ignored', ...s);
  await sender.exec('event', 'send', 'k', 'new', ...s);
  await listening.printed('"new"');
  listening.stop();
  const result = await running;
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.deepEqual(
    lines.map((line) => [(JSON.parse(line) as Event).offset, (JSON.parse(line) as Event).value]),
    [
      [1, 'old'],
      [3, 'new'],
    ],
    'one JSON document per line, in offset order, only the chosen key',
  );
});
