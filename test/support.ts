// Test support that does not import node:test, so that scripts (the long chaos run) can use it too.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../cli/program.ts';
import type { CliIO } from '../cli/io.ts';

export const ROOT = new URL('..', import.meta.url).pathname;
export const AIFLOW_BIN = join(ROOT, 'bin', 'aiflow.js');

/**
 * How long a test waits for something that normally comes within seconds before it gives up with a message
 * saying what it waited for. Not a budget: it only turns a hang into a readable failure, well before the
 * runner's per-test limit (`--test-timeout` in package.json) cancels the whole file.
 */
export const HANG_GUARD_MS = 120_000;

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

/** Rejects with "<what> within <ms> ms" when `promise` has not settled by then: a hang fails with its reason. */
export function withinHangGuard<T>(promise: Promise<T>, what: string, ms = HANG_GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
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

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion and captures its output; a program still running after `timeoutMs` is killed. */
export async function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, cwd: options.cwd ?? ROOT });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  const limitMs = options.timeoutMs ?? HANG_GUARD_MS;
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, limitMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  if (killed) stderr.push(Buffer.from(`\n[killed after ${limitMs} ms: ${command} ${args.join(' ')}]\n`));
  return { code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
}

/** Runs one CLI command in-process (no cold start) and captures its exit code and output. */
export async function runCliCaptured(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult & { code: number }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env,
    untilStopped: () => new Promise(() => undefined),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves once the server listens; rejects if it exits first, with its output. */
  ready: Promise<void>;
}

/** Spawns `aiflow <args>`; `ready` resolves once its output shows `readyText`, and rejects if it exits first. */
export function launchAiflowProcess(
  args: string[],
  readyText: string,
  env: NodeJS.ProcessEnv = {},
): ServerProcess {
  const child = spawn(process.execPath, [AIFLOW_BIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const ready = deferred();
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
    if (output.includes(readyText)) ready.resolve();
  });
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  child.once('exit', (code, signal) =>
    ready.reject(new Error(`aiflow ${args.slice(0, 2).join(' ')} exited with ${code ?? signal}: ${output}`)),
  );
  return { child, ready: ready.promise };
}

/** Spawns `aiflow server start` on `port` (no WebSocket listener) for `home`. */
export function launchServerProcess(options: {
  home: string;
  port: number;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}): ServerProcess {
  const args = ['server', 'start', '--port', String(options.port), '--no-ws', '--home', options.home];
  // These tests drive the server with CLI processes that do not know its home (so not its admin credential):
  // anonymous clients act as admin unless a test sets --anonymous itself. Access control is tested apart.
  const extra = options.args ?? [];
  if (!extra.some((arg) => arg.endsWith('anonymous'))) args.push('--anonymous', 'admin@*');
  return launchAiflowProcess([...args, ...extra], 'listening on', options.env);
}

/** Spawns `aiflow scheduler start` (what `server start` runs as its child) against the broker at `url`. */
export function launchSchedulerProcess(options: { home: string; url: string; env?: NodeJS.ProcessEnv }) {
  const args = ['scheduler', 'start', '--home', options.home, '-s', options.url];
  return launchAiflowProcess(args, 'scheduler running', options.env);
}
