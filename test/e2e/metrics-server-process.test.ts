import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServerCli } from '../aiflow-process.ts';
import { freePort } from '../helpers.ts';
import { parsePrometheusText, sampleSum } from '../prometheus-text.ts';

test('aiflow server start: /metrics merges the scheduler process series (over IPC) with the broker series', async (t) => {
  const httpPort = await freePort();
  const { server, aiflow } = await startServerCli(t, ['--http-port', String(httpPort)]);
  const base = `http://127.0.0.1:${httpPort}`;
  assert.match(server.stdout(), new RegExp(`metrics on ${base}/metrics`));
  const sent = 3;
  for (let i = 0; i < sent; i++) {
    assert.equal((await aiflow('event', 'send', 'merged', String(i), '-n', 'ipc')).code, 0);
  }
  // The scheduler runs in its own process: wait until it reports having processed the events.
  let families;
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    families = parsePrometheusText(await response.text());
    if (sampleSum(families, 'aiflow_scheduler_lag_events') === 0 || attempt > 600) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(sampleSum(families, 'aiflow_events_ingested_total', { namespace: 'ipc' }), sent);
  assert.equal(sampleSum(families, 'aiflow_scheduler_connected'), 1);
  assert.equal(sampleSum(families, 'aiflow_scheduler_lag_events'), 0);
  const head = sampleSum(families, 'aiflow_event_log_head_offset');
  assert.ok(head >= sent);
  assert.equal(
    sampleSum(families, 'aiflow_scheduler_processed_offset'),
    head,
    'read from the scheduler process',
  );
  assert.ok(families.has('aiflow_task_execution_duration_seconds'), 'the scheduler series are merged in');
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200, await ready.text());
});
