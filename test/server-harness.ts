import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createLogger, type LogRecord } from '../broker/index.ts';
import type { AIFlowNotificationClient, Event } from '../client/index.ts';
import { FINISHED_WORKFLOW_EXECUTION_STATUSES } from '../protocol/status.ts';
import type { Clock } from '../scheduler/clock.ts';
import type { MetadataStore } from '../scheduler/store/metadata-store.ts';
import { emptyUnitOfWork, type WorkflowExecutionRecord } from '../scheduler/store/records.ts';
import { startServer, type AIFlowServer, type ServerOptions } from '../server/index.ts';
import { Collector, connectClient, HANG_GUARD_MS, ROOT, runCliCaptured, tempDir } from './helpers.ts';

export interface TestServer extends AIFlowServer {
  home: string;
  records: LogRecord[];
  /** Runs one CLI command in-process against this server; resolves with its exit code and output. */
  cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Broker + scheduler in-process on port 0, with their own home folder; closed after the test. */
export async function startTestServer(
  t: TestContext,
  options: {
    home?: string;
    port?: number;
    parallelism?: number;
    stopGraceMs?: number;
    clock?: Clock;
    store?: MetadataStore;
    /** MQTT over WebSocket (and the dashboard); 0 picks a free port. @defaultValue null (none) */
    wsPort?: number | null;
    access?: ServerOptions['access'];
  } = {},
): Promise<TestServer> {
  const home = options.home ?? tempDir(t);
  const records: LogRecord[] = [];
  const server = await startServer({
    home,
    port: options.port ?? 0,
    wsPort: options.wsPort ?? null,
    ...(options.store ? { store: options.store } : {}),
    durability: 'normal',
    // These tests are about scheduling: access control is tested apart (test/integration/access-*.test.ts).
    access: options.access ?? 'open',
    logger: createLogger('debug', (record) => records.push(record)),
    scheduler: {
      stopGraceMs: options.stopGraceMs ?? 2_000,
      // The time limit counts from the start of a warm evaluation (never a cold start): the product's default.
      conditionTimeoutMs: 2_000,
      parallelism: options.parallelism ?? 10,
      ...(options.clock ? { clock: options.clock } : {}),
    },
  });
  t.after(() => server.close({ stopTasks: true }));
  const cli = (...argv: string[]) => runCliCaptured([...argv, '-s', server.url]);
  return Object.assign(server, { home, records, cli });
}

export const example = (name: string) => join(ROOT, 'examples', 'workflows', name);

/** Follows the status events of a workflow's executions (key `$workflow/<name>`), from the start of the log. */
export async function watchExecutions(
  t: TestContext,
  server: string,
  workflow: string,
  namespace = 'default',
) {
  const client: AIFlowNotificationClient = await connectClient(t, server, { namespace });
  const collector = new Collector();
  await client.registerListener(collector, { eventKeys: [`$workflow/${workflow}`], beginOffset: 0 });
  return {
    /** Resolves with the final status event of execution `id`. */
    async finished(id: number, timeoutMs = HANG_GUARD_MS): Promise<Event> {
      for (let seen = 1; ; seen++) {
        const events = await collector.waitFor(seen, timeoutMs);
        const done = events.find(
          (e) =>
            (JSON.parse(e.context ?? '{}') as { workflowExecutionId?: number }).workflowExecutionId === id &&
            FINISHED_WORKFLOW_EXECUTION_STATUSES.has(e.value as never),
        );
        if (done) return done;
      }
    },
  };
}

/** Follows one task's status events and resolves when it reaches a status. */
export async function watchTask(t: TestContext, server: string, workflow: string, task: string) {
  const client = await connectClient(t, server);
  const collector = new Collector();
  await client.registerListener(collector, { eventKeys: [`$task/${workflow}/${task}`], beginOffset: 0 });
  return {
    async reached(status: string, timeoutMs = HANG_GUARD_MS): Promise<Event> {
      return (await this.reachedTimes(status, 1, timeoutMs))[0]!;
    },
    /** Resolves once the task has reached `status` `times` times (over its successive executions). */
    async reachedTimes(status: string, times: number, timeoutMs = HANG_GUARD_MS): Promise<Event[]> {
      for (let seen = 1; ; seen++) {
        const events = await collector.waitFor(seen, timeoutMs);
        const hits = events.filter((e) => e.value === status);
        if (hits.length >= times) return hits;
      }
    },
    statuses: () => collector.events.map((e) => e.value),
  };
}

/** The workflows of `test/fixtures/scheduler/rules.ts`, one per rule of the execution semantics. */
export const RULES_FIXTURE = join(ROOT, 'test', 'fixtures', 'scheduler', 'rules.ts');

/** A test server with the rule fixtures uploaded. */
export async function startWithRules(
  t: TestContext,
  options: { parallelism?: number } = {},
): Promise<TestServer> {
  const server = await startTestServer(t, options);
  const upload = await server.cli('workflow', 'upload', RULES_FIXTURE);
  assert.equal(upload.code, 0, upload.stderr);
  return server;
}

/** Starts an execution of `workflow` and returns its id. */
export async function startExecution(server: TestServer, workflow: string): Promise<number> {
  const started = await server.cli('workflow-execution', 'start', workflow, '-o', 'json');
  assert.equal(started.code, 0, started.stderr);
  return (JSON.parse(started.stdout) as { id: number }).id;
}

export interface TaskExecutionRow {
  id: number;
  task: string;
  sequence: number;
  attempt: number;
  status: string;
  pid: number | null;
  reason: string | null;
}

export async function taskExecutions(server: TestServer, executionId: number): Promise<TaskExecutionRow[]> {
  const listed = await server.cli('task-execution', 'list', String(executionId), '-o', 'json');
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as TaskExecutionRow[];
}

export async function sendEvent(server: TestServer, key: string, context?: string): Promise<void> {
  const sent = await server.cli('event', 'send', key, 'v', ...(context ? ['--context', context] : []));
  assert.equal(sent.code, 0, sent.stderr);
}

/**
 * Writes `count` finished executions of an uploaded workflow straight into its store (ids 1…count, `failed` every
 * third, else `success`): for listings and pages, without running them.
 */
export async function addFinishedExecutions(
  store: MetadataStore,
  workflowName: string,
  count: number,
): Promise<void> {
  const workflow = await store.getWorkflow('default', workflowName);
  assert.ok(workflow, `workflow ${workflowName} is uploaded`);
  const executions: WorkflowExecutionRecord[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    workflowId: workflow.id,
    snapshotId: workflow.snapshotId,
    namespace: 'default',
    workflow: workflowName,
    status: (i + 1) % 3 === 0 ? 'failed' : 'success',
    runType: 'manual',
    beginTime: 1_000 + i,
    endTime: 2_000 + i,
  }));
  await store.commit({ ...emptyUnitOfWork(), workflowExecutions: executions });
}
