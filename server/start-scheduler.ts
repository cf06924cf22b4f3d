import { readFileSync } from 'node:fs';
import { createLogger, type Logger } from '../broker/logger.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { formatSchedulerPassword } from '../protocol/scheduler-credential.ts';
import { SchedulerLease } from '../scheduler/lease.ts';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.ts';
import type { MetadataStore } from '../scheduler/store/metadata-store.ts';
import { SqliteMetadataStore } from '../scheduler/store/sqlite-metadata-store.ts';
import { metadataFile, schedulerTokenFile } from './home-files.ts';

/** What a user may tune of the scheduler, wherever it runs. */
export type SchedulerSettings = Partial<
  Pick<SchedulerOptions, 'parallelism' | 'stopGraceMs' | 'conditionTimeoutMs' | 'clock'>
> & {
  /** How long the scheduler lease lasts without renewal (renewed every fifth of it). @defaultValue 10000 */
  leaseDurationMs?: number;
};

export interface StartSchedulerOptions extends SchedulerSettings {
  home: string;
  /** MQTT URL of the broker. */
  server: string;
  /** The server's scheduler secret. @defaultValue read from the home (`scheduler.token`) */
  secret?: string;
  /** @defaultValue SQLite at `<home>/metadata.db`; closed by `close()` either way */
  store?: MetadataStore;
  logger?: Logger;
}

/** A scheduler that holds the home's lease. */
export interface RunningScheduler {
  readonly scheduler: Scheduler;
  /** The lease's fencing token. */
  readonly token: number;
  /** Resolves with SCHEDULER_LEASE_LOST once the lease was lost; the scheduler has stopped processing by then. */
  readonly lost: Promise<AIFlowError>;
  /** Stops the scheduler, frees the lease and closes the store. Idempotent. */
  close(options?: { stopTasks?: boolean }): Promise<void>;
}

/**
 * The scheduler of a home, against a running broker: it takes the home's lease first (SCHEDULER_RUNNING if
 * another scheduler holds it), then authenticates with the server's secret and the lease's fencing token.
 */
export async function startScheduler(options: StartSchedulerOptions): Promise<RunningScheduler> {
  const { home, secret = readSecret(home), logger = createLogger(), leaseDurationMs, ...rest } = options;
  const store = options.store ?? SqliteMetadataStore.open(metadataFile(home), { logger });
  let lease: SchedulerLease;
  try {
    lease = await SchedulerLease.acquire({
      store,
      home,
      logger,
      ...(leaseDurationMs === undefined ? {} : { durationMs: leaseDurationMs }),
      ...(rest.clock ? { clock: rest.clock } : {}),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  let scheduler: Scheduler;
  try {
    scheduler = await Scheduler.start({
      ...rest,
      token: formatSchedulerPassword({ fencingToken: lease.token, secret }),
      store,
      dataDir: home,
      logger,
    });
  } catch (error) {
    await lease.release();
    await store.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (closeOptions: { stopTasks?: boolean } = {}) =>
    (closing ??= (async () => {
      await scheduler.close(closeOptions);
      await lease.release();
      await store.close();
    })());
  // A scheduler that lost its lease stops at once: its task processes stay for the new holder to adopt.
  const lost = lease.lost.then(async (error) => {
    await close();
    return error;
  });
  return { scheduler, token: lease.token, lost, close };
}

function readSecret(home: string): string {
  try {
    return readFileSync(schedulerTokenFile(home), 'utf8').trim();
  } catch (error) {
    throw new AIFlowError(
      'SERVER_NOT_RUNNING',
      `no scheduler token in ${home}: start the server with this home first`,
      { cause: error },
    );
  }
}
