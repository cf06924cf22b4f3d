// The CLI as real processes, end to end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import type { Event } from '../../protocol/event.ts';
import { AIFLOW_BIN, deferred, freePort, ROOT, run, tempDir } from '../helpers.ts';

test('as real processes: server start, event send/list/count/listen, server stop', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const env = { AIFLOW_HOME: home, AIFLOW_SERVER: `mqtt://127.0.0.1:${port}` };
  const server = spawn(process.execPath, [AIFLOW_BIN, 'server', 'start', '--port', String(port), '--no-ws'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  t.after(() => server.kill('SIGKILL'));
  const ready = deferred();
  server.stdout.on('data', (c: Buffer) => c.toString().includes('listening on') && ready.resolve());
  await ready.promise;

  const listen = spawn(
    process.execPath,
    [AIFLOW_BIN, 'event', 'listen', '-k', 'k', '--begin-offset', '0', '-o', 'json'],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
    },
  );
  t.after(() => listen.kill('SIGKILL'));
  const heard = deferred<string>();
  let heardText = '';
  listen.stdout.on('data', (c: Buffer) => {
    heardText += c.toString();
    if (heardText.includes('\n')) heard.resolve(heardText);
  });

  const aiflow = (...args: string[]) => run(process.execPath, [AIFLOW_BIN, ...args], { env });
  const sent = await aiflow('event', 'send', 'k', 'from a process', '-o', 'json');
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal((JSON.parse(sent.stdout) as Event).value, 'from a process');
  const listed = await aiflow('event', 'list', '-o', 'json');
  assert.deepEqual(
    (JSON.parse(listed.stdout) as Event[]).map((e) => e.value),
    ['from a process'],
  );
  const counted = await aiflow('event', 'count', '-o', 'json');
  assert.equal((JSON.parse(counted.stdout) as { total: number }).total, 1);
  assert.equal((JSON.parse((await heard.promise).split('\n')[0]!) as Event).value, 'from a process');
  const listenExit = once(listen, 'exit');
  listen.kill('SIGINT');
  const [listenCode] = (await listenExit) as [number | null];
  assert.equal(listenCode, 0, 'Ctrl-C ends listen cleanly');

  const serverExit = once(server, 'exit'); // `server stop` returns once the process is gone
  const stopped = await aiflow('server', 'stop');
  assert.equal(stopped.code, 0, stopped.stderr);
  const [serverCode] = (await serverExit) as [number | null];
  assert.equal(serverCode, 0);
  const failed = await aiflow('event', 'list');
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^aiflow: SERVER_NOT_RUNNING: /);
});
