import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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

export const ROOT = new URL('..', import.meta.url).pathname;

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** Node 20 has no Promise.withResolvers. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

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
  waitFor(count: number, timeoutMs = 10_000): Promise<Event[]> {
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

/** A TCP port that was free a moment ago (for servers that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
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

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion and captures its output. */
export async function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, cwd: ROOT });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
}

export const AIFLOW_BIN = join(ROOT, 'bin', 'aiflow.js');

/** Starts `aiflow server start` as a child process and resolves once it listens. Killed after the test. */
export async function startServerProcess(
  t: TestContext,
  options: { home: string; port: number; args?: string[]; env?: Record<string, string> },
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      AIFLOW_BIN,
      'server',
      'start',
      '--port',
      String(options.port),
      '--no-ws',
      '--home',
      options.home,
      ...(options.args ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const ready = deferred();
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
    if (output.includes('listening on')) ready.resolve();
  });
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  child.once('exit', (code) => ready.reject(new Error(`server exited with ${code}: ${output}`)));
  await ready.promise;
  return child;
}

/**
 * `aiflow scheduler start` as a child process against the broker at `url` (what `server start` runs as its child);
 * resolves once it runs, rejects if it exits first. Killed after the test if still running.
 */
export async function startSchedulerProcess(
  t: TestContext,
  options: { home: string; url: string; env?: Record<string, string> },
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [AIFLOW_BIN, 'scheduler', 'start', '--home', options.home, '-s', options.url],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const ready = deferred();
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
    if (output.includes('scheduler running')) ready.resolve();
  });
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  child.once('exit', (code) => ready.reject(new Error(`scheduler exited with ${code}: ${output}`)));
  await ready.promise;
  return child;
}
