import { fork, type ChildProcess } from 'node:child_process';
import {
  sandboxArgs,
  type EvaluateMessage,
  type SandboxEvaluation,
  type SandboxMessage,
  type SandboxOutcome,
} from './condition-sandbox-protocol.ts';

/** Where a worker runs: the sandbox entry and one snapshot's module, both plain JavaScript. */
export interface WorkerFiles {
  entry: string;
  moduleBundle: string;
}

/**
 * How long a process may take to answer a batch before it is killed. The process itself cuts a promise that does
 * not settle within `timeoutMs` (and then answers); only an endless loop keeps it from answering at all.
 */
export function answerDeadlineMs(timeoutMs: number): number {
  // Generous: the process's own cut must be able to answer first even on a busy machine.
  return 2 * timeoutMs + 1_000;
}

/**
 * One sandbox process of one snapshot, started with plain `node` (no loader): it answers one batch at a time.
 * Nothing it runs is timed until it is ready, so a slow start never eats into a condition's time limit.
 */
export class SandboxWorker {
  readonly #child: ChildProcess;
  readonly #timeoutMs: number;
  /** Resolves once the module is loaded; rejects with the reason if it cannot be, or if the process ends first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited, whatever the reason. */
  readonly exited: Promise<void>;
  #alive = true;
  #busy = false;
  #batches = 0;

  constructor(files: WorkerFiles, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#child = fork(files.entry, sandboxArgs(files.moduleBundle, timeoutMs), {
      // Not the scheduler's own flags (its TypeScript loader, a test runner's options): plain JavaScript runs here.
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => {
      const done = () => {
        this.#alive = false;
        resolve();
      };
      this.#child.once('exit', done);
      // Could not be started at all (no `exit` follows).
      this.#child.once('error', done);
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: SandboxMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed') reject(new Error(message.error));
      };
      this.#child.on('message', onMessage);
      void this.exited.then(() => {
        this.#child.off('message', onMessage);
        reject(new Error(`${this.exitReason} before it was ready`));
      });
    });
    this.ready.catch(() => this.kill());
  }

  /** How the process ended, once it has. */
  get exitReason(): string {
    return `the condition process exited (${describeExit(this.#child)})`;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** True while a batch is in flight. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Sends one batch and resolves with one outcome per evaluation, in order. Rejects if the process dies, or if
   * it has not answered within {@link answerDeadlineMs} of the batch being sent (it is then killed).
   */
  run(evaluations: SandboxEvaluation[]): Promise<SandboxOutcome[]> {
    if (!this.#alive) return Promise.reject(new Error('the condition process exited'));
    this.#busy = true;
    const batch = ++this.#batches;
    const child = this.#child;
    return new Promise<SandboxOutcome[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.kill();
        reject(new Error(`isMet took longer than ${this.#timeoutMs} ms`));
      }, answerDeadlineMs(this.#timeoutMs));
      const onMessage = (message: SandboxMessage) => {
        if (message.type !== 'results' || message.batch !== batch) return;
        cleanup();
        resolve(message.outcomes);
      };
      const onExit = () => {
        cleanup();
        reject(new Error(this.exitReason));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        this.#busy = false;
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      const message: EvaluateMessage = { type: 'evaluate', batch, evaluations };
      child.send(message, (error) => {
        if (error) onExit();
      });
    });
  }

  /** Kills the process; from now on it takes no batch. */
  kill(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#child.kill('SIGKILL');
  }
}

function describeExit(child: ChildProcess): string {
  if (child.signalCode) return `killed by ${child.signalCode}`;
  if (child.exitCode !== null) return `exit code ${child.exitCode}`;
  return 'channel closed';
}
