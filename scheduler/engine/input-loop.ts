import type { Logger } from '../../broker/logger.ts';
import { toAIFlowError } from '../../protocol/errors.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import { emptyUnitOfWork, type OutboxRecord } from '../store/records.ts';
import type { EngineState } from './engine-state.ts';
import type { EngineMetrics } from './ports.ts';
import { changedAnything, newWork, type Work } from './work.ts';

/** One input: an event, an executor report, a request, a due timer or schedule. */
export interface Input<T> {
  /** Names the input in logs and crash points (`event:<key>`, `request:<method>`, …). */
  label: string;
  run: () => Promise<T> | T;
  /** An event of the log: the checkpoint moves past it, and its failure is recorded in `failed_events`. */
  event?: { offset: number; key: string };
  /** Runs in a batch of its own: a request's slow I/O (an upload) must not hold back other inputs' effects. */
  alone?: boolean;
}

export interface InputLoopDeps {
  store: MetadataStore;
  state: EngineState;
  logger: Logger;
  /** Rebuilds memory from the store after a failed input; runs inside a unit of work of its own. */
  reload: () => Promise<void>;
  /** Hands committed status events to the publisher. */
  publish: (outbox: OutboxRecord[]) => void;
  /** See `EngineDeps.statusBacklog`. */
  statusBacklog?: () => Promise<void> | null;
  onCommitted?: (labels: readonly string[]) => void;
  metrics?: EngineMetrics;
}

interface Queued {
  input: Input<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { queued: Queued; work: Work } & (
  { ok: true; value: unknown } | { ok: false; error: unknown }
);

/** Inputs of one turn, at most: bounds the memory and the delay of a batch's effects. */
const MAX_BATCH = 1_000;
/**
 * Milliseconds of handling after which a turn takes no more inputs and commits: replies to the scheduler's own
 * requests (its status events) and socket reads wait for the end of a turn, so a long one would hold them back.
 */
const TURN_MS = 8;
/**
 * Milliseconds a turn waits, at most, for committed status events to leave (`statusBacklog`): while the broker is
 * unreachable, requests wait for their time-out before they fail, and inputs (executor reports, timers) must not.
 */
const MAX_BACKLOG_WAIT_MS = 1_000;
/** Events handled without a write of their own before the checkpoint is written anyway (bounds a replay). */
const CHECKPOINT_LAG = 1_000;

/**
 * The engine's loop. Inputs are handled one at a time, in arrival order; all inputs handled in one turn are
 * group-committed: each writes its changes as a savepoint of one transaction, and the last event offset is stored
 * with them, so a turn costs one disk sync whatever the number of inputs or executions involved. An event that
 * changes nothing writes nothing (its offset moves with the next commit; replaying it does nothing). A failed input
 * is undone alone: its savepoint is rolled back, memory is rebuilt from the store (which holds the earlier inputs
 * of the batch), and a failed event is recorded. Effects (task submits, timers, status publishes, replies) run
 * only after the commit.
 */
export class InputLoop {
  readonly #d: InputLoopDeps;
  #queue: Queued[] = [];
  #running: Promise<void> | null = null;
  #lag = 0;
  /** The last event offset handled, and whether it is stored yet. */
  #checkpoint: { offset: number; stored: boolean } | null = null;

  constructor(deps: InputLoopDeps) {
    this.#d = deps;
  }

  submit<T>(input: Input<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ input, resolve: resolve as (value: unknown) => void, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves once every input submitted so far has been handled. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stores the checkpoint if the last events handled moved it without a write (graceful close). */
  async flushCheckpoint(): Promise<void> {
    await this.idle();
    if (!this.#checkpoint || this.#checkpoint.stored) return;
    await this.#d.store.commit({ ...emptyUnitOfWork(), checkpoint: this.#checkpoint.offset });
    this.#checkpoint.stored = true;
    this.#lag = 0;
  }

  async #drain(): Promise<void> {
    // Never start synchronously: inputs submitted together (one page of events) form one batch.
    await null;
    try {
      while (this.#queue.length > 0) {
        const backlog = this.#d.statusBacklog?.();
        if (backlog) await waitAtMost(backlog, MAX_BACKLOG_WAIT_MS);
        await this.#runBatch(this.#take());
        // A batch runs in promise jobs only (the store is synchronous), and the MQTT client writes its packets on
        // the next tick, which runs only once no promise job is left: without a turn of the event loop here, the
        // status events just handed to the publisher (and replies, and socket reads) would wait for every batch
        // queued meanwhile (after one event to N executions: N task reports).
        if (this.#queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#running = null;
    }
  }

  #take(): Queued[] {
    if (this.#queue[0]!.input.alone) return this.#queue.splice(0, 1);
    let n = 0;
    while (n < this.#queue.length && n < MAX_BATCH && !this.#queue[n]!.input.alone) n++;
    return this.#queue.splice(0, n);
  }

  async #runBatch(batch: Queued[]): Promise<void> {
    const { store } = this.#d;
    const outcomes: Outcome[] = [];
    let wrote = false;
    let lastEvent: number | undefined;
    const started: number[] = [];
    try {
      await store.beginBatch();
      const turnStart = performance.now();
      for (const [i, queued] of batch.entries()) {
        const now = performance.now();
        if (now - turnStart > TURN_MS) {
          // The rest waits for the next turn, first in line.
          this.#queue.unshift(...batch.splice(i));
          break;
        }
        started.push(now);
        wrote = (await this.#handle(queued, outcomes)) || wrote;
        if (queued.input.event) lastEvent = queued.input.event.offset;
      }
      const lag = this.#lag + batch.filter((q) => q.input.event).length;
      // A batch that wrote nothing moves the checkpoint only in memory, until the lag reaches its bound.
      const storeCheckpoint = wrote || lag >= CHECKPOINT_LAG;
      if (lastEvent !== undefined && storeCheckpoint) {
        await store.commit({ ...emptyUnitOfWork(), checkpoint: lastEvent });
      }
      await store.endBatch();
      if (lastEvent !== undefined) {
        this.#checkpoint = { offset: lastEvent, stored: storeCheckpoint };
        this.#lag = storeCheckpoint ? 0 : lag;
      }
    } catch (error) {
      await store.abortBatch().catch(() => undefined);
      await this.#fallBack(batch, error);
      return;
    }
    this.#measure(batch, started, lastEvent);
    this.#d.onCommitted?.(batch.map((q) => q.input.label));
    this.#complete(outcomes);
  }

  #measure(batch: Queued[], started: number[], lastEvent: number | undefined): void {
    const { metrics } = this.#d;
    if (!metrics) return;
    const committed = performance.now();
    batch.forEach((queued, i) =>
      metrics.inputHandled(queued.input.label.split(':')[0]!, (committed - started[i]!) / 1000),
    );
    if (lastEvent !== undefined) metrics.eventProcessed(lastEvent);
  }

  /** Handles one input inside the open batch; true if it wrote anything. */
  async #handle(queued: Queued, outcomes: Outcome[]): Promise<boolean> {
    const { store, state, logger } = this.#d;
    const { input } = queued;
    const work = newWork();
    try {
      const value = await state.within(work, input.run);
      const changed = changedAnything(work);
      if (changed) await store.commit(work.uow);
      outcomes.push({ queued, work, ok: true, value });
      return changed;
    } catch (error) {
      // All or nothing: memory may hold part of what was not committed; rebuild it from the store.
      const undo = newWork();
      if (changedAnything(work)) {
        await this.#reload(undo);
        logger.warn('scheduler state reloaded from the store after a failed input', { input: input.label });
      }
      if (!input.event) {
        outcomes.push({ queued, work: undo, ok: false, error });
        return false;
      }
      // Recorded, never silently dropped: stored with its reason, and the offset moves on so that one bad event
      // cannot block the rest.
      const { offset, key } = input.event;
      const reason = toAIFlowError(error).message;
      logger.error('event failed', { offset, key, reason });
      await store.commit({ ...emptyUnitOfWork(), failedEvent: { offset, key, reason } });
      outcomes.push({ queued, work: undo, ok: true, value: undefined });
      return true;
    }
  }

  /**
   * The batch could not be committed: nothing of it was stored, and memory is rebuilt from the store. Each input is
   * then handled again in a batch of its own, so that only the one that cannot be committed fails.
   */
  async #fallBack(batch: Queued[], error: unknown): Promise<void> {
    const undo = newWork();
    await this.#reload(undo).catch((reloadError: unknown) =>
      this.#d.logger.error('scheduler state could not be reloaded', {
        reason: toAIFlowError(reloadError).message,
      }),
    );
    if (batch.length > 1) {
      this.#runEffects('reload', undo);
      if (undo.uow.outbox.length > 0) this.#d.publish(undo.uow.outbox);
      for (const queued of batch) await this.#runBatch([queued]);
      return;
    }
    const queued = batch[0]!;
    const reason = toAIFlowError(error).message;
    this.#d.logger.error('input failed', { input: queued.input.label, reason });
    if (queued.input.event) {
      const { offset, key } = queued.input.event;
      try {
        await this.#d.store.commit({
          ...emptyUnitOfWork(),
          checkpoint: offset,
          failedEvent: { offset, key, reason },
        });
        this.#d.metrics?.eventProcessed(offset);
        this.#complete([{ queued, work: undo, ok: true, value: undefined }]);
        return;
      } catch {
        // The event stays after the checkpoint: a restart handles it again.
      }
    }
    this.#complete([{ queued, work: undo, ok: false, error }]);
  }

  /** Rebuilds memory from the store; what recovery itself changes (a drained stop) is written at once. */
  async #reload(undo: Work): Promise<void> {
    await this.#d.state.within(undo, this.#d.reload);
    if (changedAnything(undo)) await this.#d.store.commit(undo.uow);
  }

  /** After the commit: effects in input order, then the status events, then the replies. */
  #complete(outcomes: Outcome[]): void {
    for (const { queued, work } of outcomes) this.#runEffects(queued.input.label, work);
    const outbox = outcomes.flatMap((o) => o.work.uow.outbox);
    if (outbox.length > 0) this.#d.publish(outbox);
    for (const outcome of outcomes) {
      if (outcome.ok) outcome.queued.resolve(outcome.value);
      else outcome.queued.reject(outcome.error);
    }
  }

  #runEffects(label: string, work: Work): void {
    for (const effect of work.effects) {
      try {
        effect();
      } catch (error) {
        this.#d.logger.error('effect failed', { input: label, reason: toAIFlowError(error).message });
      }
    }
  }
}

/** Resolves when `promise` does, or after `ms`, whichever comes first. */
async function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
