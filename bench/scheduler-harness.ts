/** Helpers of bench/scheduler.bench.ts: waiting on conditions, raw MQTT clients, GC, leftover task processes. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../protocol/event.ts';
import { isRunnerAlive, signalGroup } from '../scheduler/executor/process-group.ts';
import { fileSystemOf, publishWindowed, RawClients } from './shared.ts';

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Wakes whoever waits for something that message handlers change: the handler updates its own state, then calls
 * `notify()`; `until()` re-checks its condition after every notification. Nothing is stored here, so waiting on
 * a count of 10,000 events costs no memory (phase c measures the heap).
 */
export class Changes {
  readonly #waiters = new Set<() => void>();

  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves with the first value of `check()` other than undefined; rejects after `timeoutMs`. */
  until<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const wake = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          done();
          reject(error as Error);
          return;
        }
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }
}

/** The parts of a status event's JSON context the benchmark reads. */
export interface StatusContext {
  workflowExecutionId: number;
  taskExecutionId?: number;
  task?: string;
  status: string;
}

export function statusContext(event: Event): StatusContext {
  return JSON.parse(event.context ?? '{}') as StatusContext;
}

const REEXEC_MARK = 'AIFLOW_BENCH_REEXEC';

/**
 * Phase c forces garbage collections, which needs `--expose-gc`. Without it, the script runs itself again in a
 * child Node with the flag (same loader, same arguments, same stdio) and returns the child's exit code; with it,
 * returns undefined and the caller goes on.
 */
export async function reexecWithGc(script: string): Promise<number | undefined> {
  if (typeof globalThis.gc === 'function') return undefined;
  if (process.env[REEXEC_MARK] === '1') throw new Error('--expose-gc was given but global.gc is missing');
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...process.execArgv, script, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, [REEXEC_MARK]: '1' } },
  );
  // Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to this process is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export interface HeapSample {
  heapUsed: number;
  rss: number;
}

/** Heap after full collections; a few rounds with a turn of the event loop between them, so finalizers run too. */
export async function collectedHeap(): Promise<HeapSample> {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await sleep(50);
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

/**
 * Kills the task runners the scheduler started under `tasksDir` that still live (and their process groups: the
 * `sleep` they run). The executor writes `<run>.pid.json` next to `<run>.spec.json` for every runner it spawns; a
 * pid is signalled only if that process's command line still names the spec file, so a reused pid is never hit.
 * Synchronous, so it can run in an exit handler. Returns the pids it killed.
 */
export function killLeftoverRunners(tasksDir: string): number[] {
  if (!existsSync(tasksDir)) return [];
  const killed: number[] = [];
  for (const name of readdirSync(tasksDir)) {
    if (!name.endsWith('.pid.json')) continue;
    const base = join(tasksDir, name.slice(0, -'.pid.json'.length));
    let pid: number;
    try {
      pid = (JSON.parse(readFileSync(`${base}.pid.json`, 'utf8')) as { pid: number }).pid;
    } catch {
      continue;
    }
    if (!Number.isSafeInteger(pid) || pid <= 1 || !isRunnerAlive(pid, `${base}.spec.json`)) continue;
    try {
      if (signalGroup(pid, 'SIGKILL')) killed.push(pid);
    } catch {
      // EPERM: not ours after all
    }
  }
  return killed;
}

export { fileSystemOf, publishWindowed, RawClients };
