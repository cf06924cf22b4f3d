import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { decodeEvent } from '../../protocol/event.ts';
import { Collector, connectClient, deferred, requireProgram, run, startTestBroker } from '../helpers.ts';

const HINT = 'Debian package mosquitto-clients: apt-get install -y mosquitto-clients';

test('mosquitto_pub sends an event that an SDK listener receives', async (t) => {
  if (!requireProgram(t, 'mosquitto_pub', HINT)) return;
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  const collector = new Collector();
  await client.registerListener(collector, { eventKeys: ['sensor/door'] });
  const result = await run('mosquitto_pub', [
    '-p',
    String(broker.port),
    '-i',
    'door-sensor',
    '-q',
    '1',
    '-t',
    'ns/default/sensor/door',
    '-m',
    'open',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const [event] = await collector.waitFor(1);
  assert.deepEqual(
    [event?.key, event?.value, event?.sender, event?.namespace],
    ['sensor/door', 'open', 'door-sensor', 'default'],
  );
});

test('mosquitto_sub receives SDK events as JSON envelopes with their offsets', async (t) => {
  if (!requireProgram(t, 'mosquitto_sub', HINT)) return;
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url, { sender: 'sdk' });
  const sub = spawn('mosquitto_sub', [
    '-p',
    String(broker.port),
    '-t',
    'ns/default/#',
    '-v',
    '-C',
    '2',
    '-q',
    '1',
  ]);
  t.after(() => sub.kill());
  let output = '';
  const done = deferred();
  sub.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  sub.once('exit', () => done.resolve());
  // mosquitto_sub says nothing once subscribed: wait until the broker has seen its subscription.
  const subscribed = deferred();
  broker.aedes.on('subscribe', (subs) => {
    if (subs.some((s) => s.topic === 'ns/default/#')) subscribed.resolve();
  });
  await subscribed.promise;
  await client.sendEvent('a', 'first');
  await client.sendEvent('b/c', 'second line');
  await done.promise;
  const lines = output.trim().split('\n');
  assert.equal(lines.length, 2);
  const parsed = lines.map((line) => {
    const space = line.indexOf(' ');
    return { topic: line.slice(0, space), event: decodeEvent(line.slice(space + 1)) };
  });
  assert.deepEqual(
    parsed.map((p) => [p.topic, p.event.offset, p.event.value, p.event.sender]),
    [
      ['ns/default/a', 1, 'first', 'sdk'],
      ['ns/default/b/c', 2, 'second line', 'sdk'],
    ],
  );
});

test('mosquitto_pub with a bad topic or payload is refused and the event log is untouched', async (t) => {
  if (!requireProgram(t, 'mosquitto_pub', HINT)) return;
  const broker = await startTestBroker(t, { maxPayloadBytes: 100 });
  const client = await connectClient(t, broker.url);
  await client.sendEvent('kept', 'yes');
  const pub = (topic: string, extra: string[], input?: Buffer) =>
    run('mosquitto_pub', ['-p', String(broker.port), '-q', '1', '-t', topic, ...extra], { input });
  assert.notEqual((await pub('ns/no space/k', ['-m', 'x'])).code, 0);
  assert.notEqual((await pub('ns/default/k', ['-m', 'x'.repeat(101)])).code, 0);
  assert.notEqual((await pub('ns/default/k', ['-s'], Buffer.from([0xc3, 0x28]))).code, 0);
  assert.deepEqual(
    broker.records.filter((r) => r.fields.code).map((r) => r.fields.code),
    ['INVALID_NAMESPACE', 'PAYLOAD_TOO_LARGE', 'INVALID_PAYLOAD'],
  );
  assert.deepEqual(
    (await client.listEvents()).map((e) => e.key),
    ['kept'],
  );
});
