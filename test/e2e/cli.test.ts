import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import YAML from 'yaml';
import { runCli } from '../../cli/program.ts';
import type { CliIO } from '../../cli/io.ts';
import type { Event } from '../../protocol/event.ts';
import {
  AIFLOW_BIN,
  deferred,
  freePort,
  ROOT,
  run,
  startServerProcess,
  startTestBroker,
  tempDir,
} from '../helpers.ts';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with captured output; `stop` ends foreground commands and `printed(text)` resolves
 * once the running command has written `text` to stdout.
 */
function cli(env: NodeJS.ProcessEnv = {}) {
  const stop = deferred();
  let stdout = '';
  const watchers: { text: string; seen: () => void }[] = [];
  const exec = async (...argv: string[]): Promise<Captured> => {
    stdout = '';
    let stderr = '';
    const io: CliIO = {
      stdout: (s) => {
        stdout += s;
        for (const w of watchers.filter((w) => stdout.includes(w.text))) w.seen();
      },
      stderr: (s) => (stderr += s),
      env,
      untilStopped: () => stop.promise,
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  };
  const printed = (text: string) => {
    const seen = deferred();
    if (stdout.includes(text)) seen.resolve();
    else watchers.push({ text, seen: () => seen.resolve() });
    return seen.promise;
  };
  return { exec, stop: () => stop.resolve(), printed };
}

async function server(t: TestContext) {
  const broker = await startTestBroker(t);
  return { broker, s: ['-s', broker.url] };
}

test('event send prints the stored event in each output format', async (t) => {
  const { s } = await server(t);
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
  const { s } = await server(t);
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
  const { s } = await server(t);
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

test('errors are one line with a stable code and a non-zero exit', async (t) => {
  const { s } = await server(t);
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

test('the server address comes from AIFLOW_SERVER when -s is absent', async (t) => {
  const { broker } = await server(t);
  const { exec } = cli();
  const previous = process.env.AIFLOW_SERVER;
  process.env.AIFLOW_SERVER = broker.url;
  t.after(() => {
    if (previous === undefined) delete process.env.AIFLOW_SERVER;
    else process.env.AIFLOW_SERVER = previous;
  });
  const r = await exec('event', 'send', 'k', 'v', '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await broker.log.count({})).total, 1);
});

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

test('config shows each effective setting and where it comes from', async () => {
  const { exec } = cli({ AIFLOW_PORT: '1884', AIFLOW_HOME: '/nonexistent/aiflow-home' });
  const result = await exec('config', '-o', 'json');
  assert.equal(result.code, 0, result.stderr);
  const settings = JSON.parse(result.stdout) as { name: string; value: string; from: string }[];
  const byName = Object.fromEntries(settings.map((s) => [s.name, s]));
  assert.deepEqual(byName.port, { name: 'port', value: '1884', from: 'AIFLOW_PORT' });
  assert.deepEqual(byName.home, { name: 'home', value: '/nonexistent/aiflow-home', from: 'AIFLOW_HOME' });
  assert.equal(byName.host?.from, 'default');
  assert.equal(byName['running server']?.value, 'none');
});
