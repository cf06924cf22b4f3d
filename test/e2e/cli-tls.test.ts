// server start with TLS and client certificates, and the client options of every command.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../helpers.ts';
import { makeTestCerts } from '../tls-certs.ts';
import { cli } from './cli-in-process.ts';

test('server start --tls-* serves mqtts:// and wss://; its scheduler child and the CLI connect with certificates', async (t) => {
  const certs = makeTestCerts(t);
  const home = tempDir(t);
  const server = cli();
  const running = server.exec(
    'server',
    'start',
    '--port',
    '0',
    '--ws-port',
    '0',
    '--home',
    home,
    '--tls-cert',
    certs.serverCert,
    '--tls-key',
    certs.serverKey,
    '--tls-ca',
    certs.caCert,
    '--tls-require-client-cert',
    '--log-level',
    'warn',
  );
  t.after(() => server.stop());
  await server.printed('listening on');
  const record = JSON.parse(readFileSync(join(home, 'server.pid'), 'utf8')) as { url: string; wsUrl: string };
  assert.match(record.url, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  assert.match(record.wsUrl, /^wss:\/\/127\.0\.0\.1:\d+$/);
  const client = ['--ca', certs.caCert, '--cert', certs.clientCert, '--cert-key', certs.clientKey];
  const { exec } = cli();

  // The scheduler runs in its child process: answering proves it reached the broker over TLS with a certificate.
  const listed = await exec('namespace', 'list', '-s', record.url, ...client, '-o', 'json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { name: string }[]).map((n) => n.name),
    ['default'],
  );
  const sent = await exec('event', 'send', 'over-wss', 'v', '-s', record.wsUrl, ...client, '-o', 'json');
  assert.equal(sent.code, 0, sent.stderr);

  const noCert = await exec('event', 'count', '-s', record.url, '--ca', certs.caCert);
  assert.equal(noCert.code, 1);
  assert.match(noCert.stderr, /^aiflow: TLS_FAILED: TLS with mqtts:\/\/\S+ failed: /);
  const noCa = await exec(
    'event',
    'count',
    '-s',
    record.wsUrl,
    '--cert',
    certs.clientCert,
    '--cert-key',
    certs.clientKey,
  );
  assert.equal(noCa.code, 1);
  assert.match(noCa.stderr, /^aiflow: TLS_FAILED: .*does this client trust the server's certificate\?/);
  const halfCert = await exec('event', 'count', '-s', record.url, '--cert', certs.clientCert);
  assert.equal(halfCert.stderr, 'aiflow: INVALID_OPTION: --cert and --cert-key go together\n');
  const missing = await exec('event', 'count', '-s', record.url, '--ca', join(certs.dir, 'missing.pem'));
  assert.match(missing.stderr, /^aiflow: INVALID_OPTION: cannot read --ca \S+missing\.pem: ENOENT/);

  const shown = await cli({ AIFLOW_HOME: home }).exec('config');
  assert.ok(shown.stdout.includes(`${record.url} and ${record.wsUrl}`), shown.stdout);

  server.stop();
  const result = await running;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(
    result.stdout.includes(`aiflow server listening on ${record.url} (WebSocket ${record.wsUrl}, data in `),
    result.stdout,
  );
  assert.match(result.stdout, /metrics on https:\/\/127\.0\.0\.1:\d+\/metrics/);
});

test('server start refuses bad TLS and origin options before it listens', async (t) => {
  const certs = makeTestCerts(t);
  const { exec } = cli();
  const start = (...args: string[]) =>
    exec('server', 'start', '--port', '0', '--no-ws', '--no-scheduler', '--home', tempDir(t), ...args);
  for (const [args, message] of [
    [
      ['--tls-cert', join(certs.dir, 'missing.pem'), '--tls-key', certs.serverKey],
      /^aiflow: INVALID_OPTION: cannot read --tls-cert \S+missing\.pem: ENOENT/,
    ],
    [
      ['--tls-cert', certs.serverCert, '--tls-key', certs.clientKey],
      /^aiflow: INVALID_OPTION: --tls-key \S+ is not the key of --tls-cert \S+$/,
    ],
    [['--tls-cert', certs.serverCert], /^aiflow: INVALID_OPTION: --tls-cert and --tls-key go together$/],
    [['--tls-require-client-cert'], /^aiflow: INVALID_OPTION: --tls-ca and --tls-require-client-cert need /],
    [['--ws-origin', 'example.com'], /^aiflow: INVALID_OPTION: --ws-origin must be an origin like /],
  ] as const) {
    const result = await start(...args);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr.trim(), message);
    assert.equal(result.stdout, '', 'nothing listened');
  }
});

test('a task of a TLS server reaches it with the SDK: the scheduler child passes AIFLOW_CA on', async (t) => {
  const certs = makeTestCerts(t);
  const home = tempDir(t);
  const server = cli();
  const running = server.exec(
    'server',
    'start',
    '--port',
    '0',
    '--no-ws',
    '--home',
    home,
    '--tls-cert',
    certs.serverCert,
    '--tls-key',
    certs.serverKey,
    '--log-level',
    'warn',
  );
  t.after(() => server.stop());
  await server.printed('listening on');
  const { url } = JSON.parse(readFileSync(join(home, 'server.pid'), 'utf8')) as { url: string };
  const { exec } = cli();
  const trust = ['-s', url, '--ca', certs.caCert];
  const uploaded = await exec(
    'workflow',
    'upload',
    join(ROOT, 'examples', 'workflows', 'quickstart.ts'),
    ...trust,
  );
  assert.equal(uploaded.code, 0, uploaded.stderr);
  // task3 sends `key` with AIFlowNotificationClient.connect() and no argument; task4 starts on it.
  const started = await exec('workflow-execution', 'start', 'quickstart', '--wait', ...trust);
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const events = await exec('event', 'list', '-k', 'key', '-o', 'json', ...trust);
  assert.equal((JSON.parse(events.stdout) as unknown[]).length, 1, events.stdout);
  server.stop();
  assert.equal((await running).code, 0);
});
