import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../broker/logger.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { SYSTEM_CLOCK, type Clock } from './clock.ts';
import type { LeaseRecord, MetadataStore } from './store/metadata-store.ts';
import { isProcessRunning } from './process-liveness.ts';

export interface SchedulerLeaseOptions {
  store: MetadataStore;
  /** Named in the SCHEDULER_RUNNING message. */
  home: string;
  logger: Logger;
  /** How long the lease lasts without renewal; a frozen or cut-off scheduler loses it after that. @defaultValue 10000 */
  durationMs?: number;
  /** @defaultValue a fifth of `durationMs` */
  renewEveryMs?: number;
  /** @defaultValue the system clock */
  clock?: Clock;
}

export const LEASE_DEFAULTS = { durationMs: 10_000 } as const;

/**
 * One scheduler per home: the lease in the metadata store, held while renewed. Its fencing token increments at
 * every takeover; the broker accepts the scheduler identity only with the current token, so a scheduler that was
 * frozen past its expiry and replaced cannot act any more. A holder on this host whose process is gone (killed)
 * is taken over at once rather than after the expiry.
 */
export class SchedulerLease {
  readonly #o: Required<SchedulerLeaseOptions>;
  readonly #record: LeaseRecord;
  readonly #lost: Promise<AIFlowError>;
  #onLost!: (error: AIFlowError) => void;
  #timer: unknown = null;
  #expiresAt: number;
  #released: Promise<void> | undefined;

  private constructor(options: Required<SchedulerLeaseOptions>, record: LeaseRecord) {
    this.#o = options;
    this.#record = record;
    this.#expiresAt = record.expiresAt;
    this.#lost = new Promise((resolve) => (this.#onLost = resolve));
  }

  /** Takes the lease or throws SCHEDULER_RUNNING naming its holder. */
  static async acquire(options: SchedulerLeaseOptions): Promise<SchedulerLease> {
    const durationMs = options.durationMs ?? LEASE_DEFAULTS.durationMs;
    if (!Number.isSafeInteger(durationMs) || durationMs < 10) {
      throw new AIFlowError('INVALID_OPTION', `lease duration must be an integer ≥ 10 ms, got ${durationMs}`);
    }
    const o: Required<SchedulerLeaseOptions> = {
      ...options,
      durationMs,
      renewEveryMs: options.renewEveryMs ?? Math.max(1, Math.floor(durationMs / 5)),
      clock: options.clock ?? SYSTEM_CLOCK,
    };
    const claim = { holder: randomUUID(), pid: process.pid, host: hostname(), durationMs };
    const first = await o.store.acquireLease({ ...claim, now: o.clock.now() });
    let result = first;
    if ('heldBy' in first && isGoneFromThisHost(first.heldBy)) {
      // Compare-and-set on the dead holder's token: if another scheduler got there first, it wins.
      result = await o.store.acquireLease({ ...claim, now: o.clock.now(), replacing: first.heldBy.token });
    }
    if ('heldBy' in result) {
      const { pid, host } = result.heldBy;
      throw new AIFlowError(
        'SCHEDULER_RUNNING',
        `a scheduler is already running for ${o.home} (pid ${pid} on ${host})`,
      );
    }
    const lease = new SchedulerLease(o, result);
    o.logger.info('scheduler lease acquired', { token: result.token, expiresInMs: durationMs });
    lease.#schedule();
    return lease;
  }

  /** The fencing token of this holder. */
  get token(): number {
    return this.#record.token;
  }

  /** Resolves (with SCHEDULER_LEASE_LOST) when another scheduler took over or the lease could not be renewed. */
  get lost(): Promise<AIFlowError> {
    return this.#lost;
  }

  /** Stops renewing and frees the lease for the next scheduler. Idempotent. */
  release(): Promise<void> {
    this.#released ??= (async () => {
      this.#stop();
      try {
        await this.#o.store.releaseLease(this.#record.holder, this.#record.token);
      } catch (error) {
        this.#o.logger.warn('scheduler lease not released', { reason: (error as Error).message });
      }
    })();
    return this.#released;
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimeout(() => void this.#renew(), this.#o.renewEveryMs);
  }

  #stop(): void {
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #renew(): Promise<void> {
    this.#timer = null;
    if (this.#released) return;
    const now = this.#o.clock.now();
    const expiresAt = now + this.#o.durationMs;
    let renewed: boolean;
    try {
      renewed = await this.#o.store.renewLease(this.#record.holder, this.#record.token, expiresAt);
    } catch (error) {
      // A transient store error: try again, unless the lease has run out meanwhile.
      this.#o.logger.warn('scheduler lease renewal failed', { reason: (error as Error).message });
      if (now < this.#expiresAt) return this.#schedule();
      return this.#lose(`the lease expired at ${new Date(this.#expiresAt).toISOString()} without renewal`);
    }
    if (this.#released) return;
    if (!renewed) {
      const current = await this.#o.store.readLease().catch(() => null);
      const by = current ? ` (token ${current.token}, pid ${current.pid} on ${current.host})` : '';
      return this.#lose(`another scheduler took the lease over${by}`);
    }
    this.#expiresAt = expiresAt;
    this.#schedule();
  }

  #lose(reason: string): void {
    this.#stop();
    const error = new AIFlowError(
      'SCHEDULER_LEASE_LOST',
      `scheduler lease ${this.#record.token} lost: ${reason}`,
    );
    this.#o.logger.error('scheduler lease lost', { token: this.#record.token, reason });
    this.#onLost(error);
  }
}

function isGoneFromThisHost(lease: LeaseRecord): boolean {
  if (lease.host !== hostname()) return false;
  return !isProcessRunning(lease.pid);
}
