// server start and server stop from the CLI.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { freePort, startServerProcess, tempDir } from '../helpers.ts';
import { cli } from './cli-in-process.ts';

test('server start runs in-process until stopped, and refuses a busy port clearly', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const { exec, stop, printed } = cli();
  const running = exec(
    'server',
    'start',
    '--port',
    String(port),
    '--home',
    home,
    '--ws-port',
    '0',
    '--log-level',
    'warn',
  );
  await printed('listening on');
  const counted = await cli().exec('event', 'count', '-s', `mqtt://127.0.0.1:${port}`, '-o', 'json');
  assert.equal(counted.code, 0, counted.stderr);
  const busy = await cli().exec('server', 'start', '--port', String(port), '--home', tempDir(t), '--no-ws');
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /^aiflow: PORT_IN_USE: port \d+ on 127\.0\.0\.1 is already in use/);
  stop();
  const result = await running;
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /aiflow server listening on mqtt:\/\/127\.0\.0\.1:\d+ \(WebSocket ws:\/\/127\.0\.0\.1:\d+, data in /,
  );
  assert.match(result.stdout, /aiflow server stopped/);
});

test('server stop stops the server of a home folder, and says when none runs', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const child = await startServerProcess(t, { home, port });
  const exited = once(child, 'exit');
  const { exec } = cli();
  const stopped = await exec('server', 'stop', '--home', home);
  assert.equal(stopped.code, 0, stopped.stderr);
  const [code, signal] = (await exited) as [number | null, string | null];
  assert.deepEqual([code, signal], [0, null], 'graceful exit');
  const again = await exec('server', 'stop', '--home', home);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^aiflow: SERVER_NOT_RUNNING: no server is running for /);
});
