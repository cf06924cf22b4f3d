import type { Logger } from '../broker/logger.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { sandboxEntry, snapshotBundle } from './condition-sandbox-bundle.ts';
import { SandboxPool } from './condition-sandbox-pool.ts';
import type { SandboxEvaluation, SandboxOutcome } from './condition-sandbox-protocol.ts';
import type { SnapshotRecord } from './store/records.ts';

export type { SandboxEvaluation, SandboxOutcome, SandboxResult } from './condition-sandbox-protocol.ts';

/** A snapshot whose custom conditions the sandbox runs, and the data dir its files are kept in. */
export interface SandboxSnapshot {
  dataDir: string;
  snapshot: Pick<SnapshotRecord, 'id' | 'fileName' | 'source'>;
}

/** Options of {@link ConditionSandbox}. */
export interface ConditionSandboxOptions {
  /** Longest one `isMet` may take, counted from the start of its evaluation; longer counts as not met. @defaultValue 2000 */
  timeoutMs?: number;
  /** Processes per snapshot. @defaultValue 1 */
  poolSize?: number;
  /**
   * A snapshot's processes are closed after this long without an evaluation, unless {@link ConditionSandbox.keepWarm}
   * names it. @defaultValue 300000 (5 minutes)
   */
  idleMs?: number;
  /** Where processes that end unexpectedly are reported. */
  logger?: Logger;
}

export const CONDITION_SANDBOX_DEFAULTS: Readonly<Required<Omit<ConditionSandboxOptions, 'logger'>>> =
  Object.freeze({ timeoutMs: 2_000, poolSize: 1, idleMs: 300_000 });

interface PoolEntry {
  pool: SandboxPool;
  snapshotId: number;
  /** Named by the last `keepWarm`: never closed for idleness. */
  pinned: boolean;
  idle: NodeJS.Timeout | undefined;
}

/**
 * Runs users' custom conditions in separate processes, so that an exception, an endless loop or a crash in
 * `isMet` can neither crash nor stall the scheduler. Each snapshot has a small pool of warm processes running
 * plain JavaScript (its module bundled once, see `condition-sandbox-bundle.ts`); an evaluation is timed from the
 * moment a ready process receives it, never including a start. A process killed on a time-out, or that died, is
 * replaced in the background. Evaluations of one snapshot asked for together travel in one message.
 */
export class ConditionSandbox {
  readonly #o: Required<Omit<ConditionSandboxOptions, 'logger'>> & Pick<ConditionSandboxOptions, 'logger'>;
  readonly #pools = new Map<string, PoolEntry>();
  #roundTrips = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** @param options - options, or (as before pools existed) only the time limit in ms. */
  constructor(options: ConditionSandboxOptions | number = {}) {
    this.#o = {
      ...CONDITION_SANDBOX_DEFAULTS,
      ...(typeof options === 'number' ? { timeoutMs: options } : options),
    };
    for (const name of ['timeoutMs', 'poolSize', 'idleMs'] as const) {
      const value = this.#o[name];
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new AIFlowError('INVALID_OPTION', `${name} must be an integer > 0, got ${String(value)}`);
      }
    }
  }

  /** Evaluates one custom condition; an error, a time-out or a crash is an outcome with `ok: false`. */
  async evaluate(target: SandboxSnapshot, evaluation: SandboxEvaluation): Promise<SandboxOutcome> {
    const [outcome] = await this.evaluateMany(target, [evaluation]);
    return outcome!;
  }

  /**
   * Evaluates custom conditions of one snapshot in one round trip to one of its processes (and with whatever
   * else was asked for that snapshot meanwhile), in order: one outcome per evaluation. Never rejects.
   */
  evaluateMany(target: SandboxSnapshot, evaluations: SandboxEvaluation[]): Promise<SandboxOutcome[]> {
    const entry = this.#pool(target);
    if (!entry)
      return Promise.resolve(
        evaluations.map(() => ({ ok: false, error: 'the condition sandbox is closed' })),
      );
    return entry.pool.evaluate(evaluations).finally(() => this.#armIdle(key(target), entry));
  }

  /**
   * Names every snapshot in use (by a live execution or an active trigger): their processes start now, ahead of
   * any evaluation, and stay; those of other snapshots close once idle for `idleMs`.
   */
  keepWarm(targets: SandboxSnapshot[]): void {
    const keys = new Set(targets.map(key));
    for (const [k, entry] of this.#pools) {
      entry.pinned = keys.has(k);
      this.#armIdle(k, entry);
    }
    for (const target of targets) {
      const entry = this.#pool(target);
      if (!entry) return;
      entry.pinned = true;
      this.#armIdle(key(target), entry);
      entry.pool.warm();
    }
  }

  /** Batches sent to sandbox processes so far (one message exchange each). */
  get roundTrips(): number {
    return this.#roundTrips;
  }

  /** Ids of a snapshot's running processes, for diagnostics. */
  pids(target: SandboxSnapshot): number[] {
    return this.#pools.get(key(target))?.pool.pids ?? [];
  }

  /** Kills every process and resolves once they have exited; later evaluations are not met. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      const entries = [...this.#pools.values()];
      this.#pools.clear();
      for (const entry of entries) clearTimeout(entry.idle);
      await Promise.all(entries.map((entry) => entry.pool.close()));
    })();
    return this.#closing;
  }

  #pool(target: SandboxSnapshot): PoolEntry | undefined {
    if (this.#closed) return undefined;
    const k = key(target);
    let entry = this.#pools.get(k);
    if (!entry) {
      const pool = new SandboxPool({
        size: this.#o.poolSize,
        timeoutMs: this.#o.timeoutMs,
        files: async () => {
          const [entryFile, moduleBundle] = await Promise.all([
            sandboxEntry(target.dataDir),
            snapshotBundle(target.dataDir, target.snapshot),
          ]);
          return { entry: entryFile, moduleBundle };
        },
        onWorkerReady: (pid) =>
          this.#o.logger?.debug('condition process ready', { snapshot: target.snapshot.id, pid }),
        onWorkerLost: (reason, pid) =>
          this.#o.logger?.warn('condition process lost', { snapshot: target.snapshot.id, pid, reason }),
        onRoundTrip: () => this.#roundTrips++,
      });
      entry = { pool, snapshotId: target.snapshot.id, pinned: false, idle: undefined };
      this.#pools.set(k, entry);
    }
    return entry;
  }

  /** Closes an unpinned pool `idleMs` after its last evaluation ended. */
  #armIdle(k: string, entry: PoolEntry): void {
    clearTimeout(entry.idle);
    entry.idle = undefined;
    if (entry.pinned || this.#closed) return;
    entry.idle = setTimeout(() => {
      if (entry.pinned || this.#pools.get(k) !== entry) return;
      if (entry.pool.active) return this.#armIdle(k, entry);
      this.#pools.delete(k);
      void entry.pool
        .close()
        .then(() =>
          this.#o.logger?.debug('condition processes closed, idle', { snapshot: entry.snapshotId }),
        );
    }, this.#o.idleMs);
    entry.idle.unref();
  }
}

const key = (target: SandboxSnapshot) => `${target.dataDir}\n${target.snapshot.id}`;
