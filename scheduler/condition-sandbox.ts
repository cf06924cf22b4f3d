import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Event } from '../protocol/event.ts';
import type { TaskStatus } from '../protocol/status.ts';

export interface SandboxRequest {
  moduleFile: string;
  workflow: string;
  path: string;
  event: Event;
  states: Record<string, unknown>;
  taskStatuses: Record<string, TaskStatus>;
}

export interface SandboxResult {
  met: boolean;
  /** Value states the condition updated. */
  updates: Record<string, unknown>;
}

const PROCESS = fileURLToPath(new URL('./condition-sandbox-process.ts', import.meta.url));

/**
 * Runs users' custom conditions in a separate process, one request at a time, so that an exception, an endless
 * loop or a crash in `isMet` can neither crash nor stall the scheduler: it becomes an error, and a condition that
 * takes longer than `timeoutMs` has its process killed (a new one starts on the next request).
 */
export class ConditionSandbox {
  readonly #timeoutMs: number;
  #child: ChildProcess | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  evaluate(request: SandboxRequest): Promise<SandboxResult> {
    const run = this.#queue.then(() => this.#run(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #run(request: SandboxRequest): Promise<SandboxResult> {
    if (this.#closed) return Promise.reject(new Error('the condition sandbox is closed'));
    const child = (this.#child ??= this.#spawn());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.#kill();
        reject(new Error(`isMet took longer than ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      const onMessage = (message: { ok: boolean; result?: SandboxResult; error?: string }) => {
        cleanup();
        if (message.ok && message.result) resolve(message.result);
        else reject(new Error(message.error ?? 'isMet failed'));
      };
      const onExit = () => {
        cleanup();
        this.#child = null;
        reject(new Error('the condition process exited'));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(request);
    });
  }

  #spawn(): ChildProcess {
    const child = fork(PROCESS, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    return child;
  }

  #kill(): void {
    this.#child?.kill('SIGKILL');
    this.#child = null;
  }

  close(): void {
    this.#closed = true;
    this.#kill();
  }
}
