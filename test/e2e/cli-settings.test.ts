// Where the CLI takes its settings from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerForCli, cli } from './cli-in-process.ts';

test('the server address comes from AIFLOW_SERVER when -s is absent', async (t) => {
  const { broker } = await brokerForCli(t);
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
