import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import mqtt from 'mqtt';
import { createLogger } from '../../broker/index.ts';
import { runCli } from '../../cli/program.ts';
import { startServer, type AIFlowServer, type ServerOptions } from '../../server/index.ts';
import { tempDir } from '../helpers.ts';
import { parsePrometheusText, sampleSum, type MetricFamily } from '../prometheus-text.ts';
import { example, watchExecutions } from '../server-harness.ts';

async function startMetricsServer(
  t: TestContext,
  options: Partial<ServerOptions> = {},
): Promise<AIFlowServer> {
  const server = await startServer({
    home: tempDir(t),
    port: 0,
    wsPort: 0,
    durability: 'normal',
    logger: createLogger('error'),
    scheduler: { stopGraceMs: 2_000, conditionTimeoutMs: 1_000 },
    // Plain MQTT clients publish in several namespaces without a login: access control is tested apart.
    access: 'open',
    ...options,
  });
  t.after(() => server.close({ stopTasks: true }));
  return server;
}

async function get(
  server: AIFlowServer,
  path: string,
): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(server.httpUrl + path);
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

async function scrape(server: AIFlowServer): Promise<Map<string, MetricFamily>> {
  const { status, type, body } = await get(server, '/metrics');
  assert.equal(status, 200);
  assert.match(type, /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(body);
}

async function cli(server: AIFlowServer, ...argv: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv, '-s', server.url], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env: {},
    untilStopped: () => new Promise(() => undefined),
  });
  assert.equal(code, 0, stderr);
  return stdout;
}

async function connectMqtt(t: TestContext, server: AIFlowServer): Promise<mqtt.MqttClient> {
  const client = await mqtt.connectAsync(server.url, { reconnectPeriod: 0 });
  t.after(() => client.endAsync(true));
  return client;
}

test('/metrics: every documented series, in a strict text format', async (t) => {
  const server = await startMetricsServer(t);
  const families = await scrape(server);
  for (const name of [
    'aiflow_events_ingested_total',
    'aiflow_publishes_refused_total',
    'aiflow_publish_ack_duration_seconds',
    'aiflow_connected_clients',
    'aiflow_subscriptions',
    'aiflow_event_log_head_offset',
    'aiflow_scheduler_connected',
    'aiflow_scheduler_lag_events',
    'aiflow_scheduler_lag_seconds',
    'aiflow_scheduler_processed_offset',
    'aiflow_scheduler_inputs_total',
    'aiflow_scheduler_unit_of_work_duration_seconds',
    'aiflow_scheduler_commit_duration_seconds',
    'aiflow_workflow_executions',
    'aiflow_workflow_executions_finished_total',
    'aiflow_task_executions',
    'aiflow_task_executions_finished_total',
    'aiflow_task_execution_duration_seconds',
    'aiflow_executor_queue_depth',
  ]) {
    const family = families.get(name);
    assert.ok(family, `${name} is exposed`);
    assert.notEqual(family.help, '', `${name} has a HELP line`);
  }
  assert.equal(families.get('aiflow_task_execution_duration_seconds')!.type, 'histogram');
  assert.equal(sampleSum(families, 'aiflow_scheduler_connected'), 1);
  assert.equal(sampleSum(families, 'aiflow_scheduler_lag_events'), 0);
});

test('/metrics: published events, refused publishes and clients move their series', async (t) => {
  const server = await startMetricsServer(t);
  const before = await scrape(server);
  const client = await connectMqtt(t, server);
  await client.subscribeAsync('plain/topic', { qos: 1 });
  const published = 7;
  for (let i = 0; i < published; i++) await client.publishAsync('ns/metrics/reading', `v${i}`, { qos: 1 });
  const after = await scrape(server);
  const ingested = (f: Map<string, MetricFamily>) =>
    sampleSum(f, 'aiflow_events_ingested_total', { namespace: 'metrics' });
  assert.equal(ingested(after) - ingested(before), published);
  const acks = (f: Map<string, MetricFamily>) => sampleSum(f, 'aiflow_publish_ack_duration_seconds_count');
  assert.equal(acks(after) - acks(before), published);
  assert.equal(
    sampleSum(after, 'aiflow_event_log_head_offset') - sampleSum(before, 'aiflow_event_log_head_offset'),
    published,
  );
  assert.equal(
    sampleSum(after, 'aiflow_connected_clients') - sampleSum(before, 'aiflow_connected_clients'),
    1,
  );
  assert.equal(sampleSum(after, 'aiflow_subscriptions') - sampleSum(before, 'aiflow_subscriptions'), 1);

  // A status key is the scheduler's: the publisher is disconnected and the refusal counted by its code.
  const forger = await connectMqtt(t, server);
  const closed = new Promise<void>((resolve) => forger.once('close', () => resolve()));
  forger.publish('ns/metrics/$task/wf/task', 'success', { qos: 1 });
  await closed;
  const refused = (f: Map<string, MetricFamily>) =>
    sampleSum(f, 'aiflow_publishes_refused_total', { code: 'RESERVED_TOPIC' });
  assert.equal(refused(await scrape(server)) - refused(after), 1);
});

test('/metrics: a workflow run moves the scheduler series (tasks finished, durations, executions)', async (t) => {
  const server = await startMetricsServer(t);
  await cli(server, 'workflow', 'upload', example('quickstart.ts'));
  const before = await scrape(server);
  const executions = await watchExecutions(t, server.url, 'quickstart');
  const { id } = JSON.parse(await cli(server, 'workflow-execution', 'start', 'quickstart', '-o', 'json')) as {
    id: number;
  };
  assert.equal((await executions.finished(id)).value, 'success');
  const after = await scrape(server);
  const delta = (name: string, labels: Record<string, string> = {}) =>
    sampleSum(after, name, labels) - sampleSum(before, name, labels);
  const tasks = 4;
  assert.equal(delta('aiflow_task_execution_duration_seconds_count', { status: 'success' }), tasks);
  assert.equal(delta('aiflow_task_executions_finished_total', { status: 'success' }), tasks);
  assert.equal(delta('aiflow_workflow_executions_finished_total', { status: 'success' }), 1);
  assert.equal(sampleSum(after, 'aiflow_workflow_executions', { status: 'running' }), 0);
  assert.ok(delta('aiflow_scheduler_inputs_total') > tasks, 'each task report is an input');
  assert.ok(delta('aiflow_scheduler_commit_duration_seconds_count') > tasks);
  // The execution's status events are in the log: the scheduler has processed them all, or is about to.
  const processed = sampleSum(after, 'aiflow_scheduler_processed_offset');
  assert.ok(processed > 0 && processed <= sampleSum(after, 'aiflow_event_log_head_offset'));
});
