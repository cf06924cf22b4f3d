import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';
import {
  createLogger,
  startBroker,
  type BrokerOptions,
  type BrokerServer,
  type LogRecord,
} from '../broker/index.ts';
import { AIFlowNotificationClient, type Event, type NotificationClientOptions } from '../client/index.ts';
import {
  deferred,
  HANG_GUARD_MS,
  launchSchedulerProcess,
  launchServerProcess,
  type Deferred,
} from './support.ts';

export {
  AIFLOW_BIN,
  deferred,
  freePort,
  HANG_GUARD_MS,
  ROOT,
  run,
  runCliCaptured,
  withinHangGuard,
  type Deferred,
  type RunResult,
} from './support.ts';

const tempDirs = new Set<string>();
// Removed once every test of the file and all their hooks are done: a test's own hooks (closing a server, whose
// task processes may still write their files) run in registration order, after the folder was made.
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

/** A fresh folder, removed after the file's tests. */
export function tempDir(_t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'aiflow-test-'));
  tempDirs.add(dir);
  return dir;
}

export interface TestBroker extends BrokerServer {
  /** Every record the broker logged, for asserting on rejection reasons. */
  records: LogRecord[];
  dbFile: string;
}

/** The real broker on port 0 with its own database file; closed after the test. */
export async function startTestBroker(
  t: TestContext,
  options: Partial<BrokerOptions> = {},
): Promise<TestBroker> {
  const records: LogRecord[] = [];
  const dbFile = options.dbFile ?? join(tempDir(t), 'aiflow.db');
  const broker = await startBroker({
    port: 0,
    durability: 'normal',
    ...options,
    dbFile,
    logger: createLogger('debug', (record) => records.push(record)),
  });
  t.after(() => broker.close());
  return Object.assign(broker, { records, dbFile });
}

export async function connectClient(
  t: TestContext,
  server: string,
  options: NotificationClientOptions = {},
): Promise<AIFlowNotificationClient> {
  const client = await AIFlowNotificationClient.connect({ server, reconnectPeriodMs: 100, ...options });
  t.after(() => client.close());
  return client;
}

/** A listener processor that records every event and lets a test wait for a count. */
export class Collector {
  readonly events: Event[] = [];
  #waiters: { count: number; done: Deferred<Event[]> }[] = [];

  process(events: Event[]): void {
    this.events.push(...events);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.events.length < w.count) return true;
      w.done.resolve(this.events);
      return false;
    });
  }

  /** Resolves once at least `count` events arrived; rejects after `timeoutMs` with what arrived. */
  waitFor(count: number, timeoutMs = HANG_GUARD_MS): Promise<Event[]> {
    if (this.events.length >= count) return Promise.resolve(this.events);
    const done = deferred<Event[]>();
    this.#waiters.push({ count, done });
    const timer = setTimeout(
      () => done.reject(new Error(`expected ${count} events, got ${this.events.length}`)),
      timeoutMs,
    );
    return done.promise.finally(() => clearTimeout(timer));
  }

  get offsets(): number[] {
    return this.events.map((e) => e.offset);
  }
}

/**
 * Skips a test when a required program is missing on a developer's machine, naming exactly what is missing;
 * under CI a missing program fails the test instead.
 */
export function requireProgram(t: TestContext, program: string, installHint: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
  if (found) return true;
  const message = `${program} is not installed (${installHint})`;
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** Starts `aiflow server start` as a child process and resolves once it listens. Killed after the test. */
export async function startServerProcess(
  t: TestContext,
  options: { home: string; port: number; args?: string[]; env?: NodeJS.ProcessEnv },
): Promise<ChildProcess> {
  const { child, ready } = launchServerProcess(options);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await ready;
  return child;
}

/** Starts `aiflow scheduler start` against the broker at `url` and resolves once it runs. Killed after the test. */
export async function startSchedulerProcess(
  t: TestContext,
  options: { home: string; url: string; env?: NodeJS.ProcessEnv },
): Promise<ChildProcess> {
  const { child, ready } = launchSchedulerProcess(options);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await ready;
  return child;
}
