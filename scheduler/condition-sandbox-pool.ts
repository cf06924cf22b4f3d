import type { SandboxEvaluation, SandboxOutcome } from './condition-sandbox-protocol.ts';
import { SandboxWorker, type WorkerFiles } from './condition-sandbox-worker.ts';

/** What a pool needs from its owner. */
export interface PoolDeps {
  /** Processes kept for the snapshot. */
  size: number;
  timeoutMs: number;
  /** The plain JavaScript files to start a process on (bundled on first call). */
  files: () => Promise<WorkerFiles>;
  /** Reports a process that ended or could not start (it is replaced in the background if it had been ready). */
  onWorkerLost: (reason: string, pid: number | undefined) => void;
  /** A process loaded the module and takes evaluations. */
  onWorkerReady: (pid: number | undefined) => void;
  /** Called once per batch sent: one round trip to a process. */
  onRoundTrip: (evaluations: number) => void;
}

interface Pending {
  evaluations: SandboxEvaluation[];
  resolve: (outcomes: SandboxOutcome[]) => void;
  /** Sent in a batch of its own: it was in a batch that got no answer. */
  alone?: boolean;
}

/** Largest batch in one message: bounds the message and the work a looping condition makes retry. */
const MAX_BATCH = 1_000;
/** Ready processes that may die in a row without answering before they are replaced only on need. */
const MAX_LOSSES_IN_A_ROW = 3;

/**
 * The warm sandbox processes of one snapshot. Evaluations asked for in the same turn of the event loop (or while
 * every process is busy) go together as one batch, in order, answered within the time limit of one evaluation;
 * a batch that is not is split and retried one by one. An outcome is never an exception: a condition that fails,
 * a killed process or a closed pool all count as "not met", for the caller to log.
 */
export class SandboxPool {
  readonly #deps: PoolDeps;
  readonly #workers = new Set<SandboxWorker>();
  /** Workers whose module is loaded. */
  readonly #ready = new WeakSet<SandboxWorker>();
  readonly #queue: Pending[] = [];
  /** Workers whose files are still being bundled. */
  #starting = 0;
  /** Ready processes lost since the last answered batch. */
  #losses = 0;
  #dispatchScheduled = false;
  #closed = false;

  constructor(deps: PoolDeps) {
    this.#deps = deps;
  }

  /** Starts the pool's processes ahead of need (they are not timed). */
  warm(): void {
    while (!this.#closed && this.#workers.size + this.#starting < this.#deps.size) this.#startWorker();
  }

  /** One outcome per evaluation, in order. */
  evaluate(evaluations: SandboxEvaluation[]): Promise<SandboxOutcome[]> {
    if (this.#closed) return Promise.resolve(failed(evaluations, 'the condition sandbox is closed'));
    if (evaluations.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      this.#queue.push({ evaluations, resolve });
      this.warm();
      this.#scheduleDispatch();
    });
  }

  /** True while evaluations are queued or running. */
  get active(): boolean {
    return this.#queue.length > 0 || [...this.#workers].some((worker) => worker.busy);
  }

  /** Process ids, for tests and diagnostics. */
  get pids(): number[] {
    return [...this.#workers].flatMap((worker) => (worker.pid === undefined ? [] : [worker.pid]));
  }

  /** Kills every process and resolves once they have exited; queued evaluations fail. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = [...this.#workers];
    this.#workers.clear();
    for (const worker of workers) worker.kill();
    for (const pending of this.#queue.splice(0)) {
      pending.resolve(failed(pending.evaluations, 'the condition sandbox is closed'));
    }
    await Promise.all(workers.map((worker) => worker.exited));
  }

  // setImmediate, not a microtask: evaluations started together reach here after a few awaits each.
  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    setImmediate(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const worker of this.#workers) {
      if (this.#queue.length === 0) return;
      if (worker.alive && !worker.busy && this.#ready.has(worker)) this.#send(worker, this.#takeBatch());
    }
  }

  #takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let size = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (batch.length > 0 && (next.alone || batch[0]!.alone || size + next.evaluations.length > MAX_BATCH))
        break;
      batch.push(this.#queue.shift()!);
      size += next.evaluations.length;
    }
    return batch;
  }

  #send(worker: SandboxWorker, batch: Pending[]): void {
    const evaluations = batch.flatMap((pending) => pending.evaluations);
    this.#deps.onRoundTrip(evaluations.length);
    const settle = (outcomes: SandboxOutcome[], answered = true) => {
      if (answered) this.#losses = 0;
      let at = 0;
      for (const pending of batch) {
        pending.resolve(outcomes.slice(at, (at += pending.evaluations.length)));
      }
      this.#dispatch();
    };
    worker.run(evaluations).then(settle, (error: unknown) => {
      if (evaluations.length === 1) settle(failed(evaluations, reason(error)), false);
      else this.#retryAlone(batch);
    });
  }

  /**
   * A batch got no answer (one of its conditions looped, or the process died): each evaluation runs again on its
   * own, first in line, so that only the culprit fails. Evaluating again is safe: state updates are only returned.
   */
  #retryAlone(batch: Pending[]): void {
    const singles: Pending[] = [];
    for (const pending of batch) {
      const outcomes = pending.evaluations.map(
        (evaluation) =>
          new Promise<SandboxOutcome>((resolve) =>
            singles.push({
              evaluations: [evaluation],
              resolve: ([outcome]) => resolve(outcome!),
              alone: true,
            }),
          ),
      );
      void Promise.all(outcomes).then(pending.resolve);
    }
    this.#queue.unshift(...singles);
    this.#dispatch();
  }

  #startWorker(): void {
    this.#starting++;
    this.#deps.files().then(
      (files) => {
        this.#starting--;
        if (!this.#closed) this.#watch(new SandboxWorker(files, this.#deps.timeoutMs));
      },
      (error: unknown) => {
        this.#starting--;
        this.#lost(error, undefined, false);
      },
    );
  }

  #watch(worker: SandboxWorker): void {
    this.#workers.add(worker);
    worker.ready.then(
      () => {
        this.#ready.add(worker);
        this.#deps.onWorkerReady(worker.pid);
        void worker.exited.then(() => this.#lost(new Error(worker.exitReason), worker, true));
        this.#dispatch();
      },
      (error: unknown) => this.#lost(error, worker, false),
    );
  }

  #lost(error: unknown, worker: SandboxWorker | undefined, wasReady: boolean): void {
    if (worker) this.#workers.delete(worker);
    if (this.#closed) return;
    this.#deps.onWorkerLost(reason(error), worker?.pid);
    if (wasReady) {
      // Replaced before it is needed again, unless processes keep dying without answering (a module that exits
      // by itself): then only a need starts one.
      if (++this.#losses <= MAX_LOSSES_IN_A_ROW || this.#queue.length > 0) this.warm();
      return;
    }
    // It could not start (bundling or loading failed): what waits fails now; the next need tries again.
    for (const pending of this.#queue.splice(0)) pending.resolve(failed(pending.evaluations, reason(error)));
  }
}

function failed(evaluations: SandboxEvaluation[], error: string): SandboxOutcome[] {
  return evaluations.map(() => ({ ok: false, error }));
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
