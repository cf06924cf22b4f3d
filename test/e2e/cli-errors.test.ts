// CLI errors: one line with a stable code and a non-zero exit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../helpers.ts';
import { brokerForCli, cli } from './cli-in-process.ts';

test('errors are one line with a stable code and a non-zero exit', async (t) => {
  const { s } = await brokerForCli(t);
  const { exec } = cli();
  const badKey = await exec('event', 'send', 'a+b', 'v', ...s);
  assert.equal(badKey.code, 1);
  assert.equal(badKey.stderr, 'aiflow: INVALID_KEY: event key "a+b" must not contain +, # or NUL\n');
  const badNamespace = await exec('event', 'list', ...s, '-n', 'no space');
  assert.match(badNamespace.stderr, /^aiflow: INVALID_NAMESPACE: .*\n$/);
  const port = await freePort();
  const down = await exec('event', 'list', '-s', `mqtt://127.0.0.1:${port}`);
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    /^aiflow: SERVER_NOT_RUNNING: cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: .*\n$/,
  );
  const badOffset = await exec('event', 'list', ...s, '--begin-offset', '-3');
  assert.notEqual(badOffset.code, 0);
  assert.match(badOffset.stderr, /expected a non-negative integer/);
  const badFormat = await exec('event', 'list', ...s, '-o', 'xml');
  assert.notEqual(badFormat.code, 0);
  const unknown = await exec('evnt');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown command 'evnt'/);
});
