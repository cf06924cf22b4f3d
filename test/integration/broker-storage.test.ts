import assert from 'node:assert/strict';
import { closeSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startTestBroker, tempDir } from '../helpers.ts';

test('once the database file is deleted, a QoS 1 publish is not acknowledged and STORAGE_FAILED is logged', async (t) => {
  const broker = await startTestBroker(t);
  const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  client.on('error', () => undefined);
  t.after(() => client.endAsync(true));
  await client.publishAsync('ns/default/before', 'kept', { qos: 1 });

  unlinkSync(broker.dbFile);
  let acked = false;
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish('ns/default/after', 'lost', { qos: 1 }, (error) => (acked = !error));
  await closed;
  assert.equal(acked, false, 'no PUBACK for an event that is not durable');
  const rejection = broker.records.find((r) => r.fields.code === 'STORAGE_FAILED' && r.level === 'warn');
  assert.ok(rejection, 'the refused publish is logged with STORAGE_FAILED');
  assert.match(String(rejection.fields.reason), /aiflow\.db was removed while open/);
  assert.ok(
    broker.records.some((r) => r.level === 'error' && r.fields.code === 'STORAGE_FAILED'),
    'the lost file is logged as an error',
  );
});

test('a broker refuses to start on a damaged event log', async (t) => {
  const dbFile = join(tempDir(t), 'aiflow.db');
  const first = await startTestBroker(t, { dbFile });
  const client = await mqtt.connectAsync(first.url, { reconnectPeriod: 0 });
  await Promise.all(
    Array.from({ length: 2000 }, (_, i) =>
      client.publishAsync(`ns/default/k${i}`, 'x'.repeat(300), { qos: 1 }),
    ),
  );
  await client.endAsync();
  await first.close();
  const size = statSync(dbFile).size;
  const fd = openSync(dbFile, 'r+');
  writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
  closeSync(fd);
  await assert.rejects(startTestBroker(t, { dbFile }), {
    code: 'STORAGE_FAILED',
    message: /aiflow\.db is damaged \(.+\); restore it from a backup or move it aside/,
  });
});
