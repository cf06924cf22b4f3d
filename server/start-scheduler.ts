import { readFileSync } from 'node:fs';
import { createLogger, type Logger } from '../broker/logger.ts';
import type { ClientTls } from '../client/client-tls.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { formatSchedulerPassword } from '../protocol/scheduler-credential.ts';
import { SchedulerLease } from '../scheduler/lease.ts';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.ts';
import { SchedulerMetrics } from '../scheduler/scheduler-metrics.ts';
import { meteredStore } from '../scheduler/store/metered-store.ts';
import type { MetadataStore } from '../scheduler/store/metadata-store.ts';
import { SqliteMetadataStore } from '../scheduler/store/sqlite-metadata-store.ts';
import { metadataFile, readTaskKey, schedulerTokenFile } from './home-files.ts';

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
  /** Certificates of an `mqtts://` server. @defaultValue the files named by `$AIFLOW_CA`, `$AIFLOW_CERT`, `$AIFLOW_CERT_KEY` */
  tls?: ClientTls | undefined;
  /** The server's scheduler secret. @defaultValue read from the home (`scheduler.token`) */
  secret?: string;
  /** The key task logins are derived from. @defaultValue read from the home (`task-credential.key`) */
  taskKey?: string;
  /** @defaultValue SQLite at `<home>/metadata.db`; closed by `close()` either way */
  store?: MetadataStore;
  logger?: Logger;
  /**
   * How long to keep trying while another scheduler holds the lease, before failing with SCHEDULER_RUNNING. A server
   * restarted right after a crash waits so for its previous scheduler process to exit. @defaultValue 0 (fail at once)
   */
  waitForLeaseMs?: number;
}

/** A scheduler that holds the home's lease. */
export interface RunningScheduler {
  readonly scheduler: Scheduler;
  /** The lease's fencing token. */
  readonly token: number;
  /** Its Prometheus series (what it processed, committed and runs). */
  readonly metrics: SchedulerMetrics;
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
  const {
    home,
    secret = readSecret(home),
    taskKey = readTaskKey(home),
    logger = createLogger(),
    leaseDurationMs,
    waitForLeaseMs = 0,
    ...rest
  } = options;
  const store = options.store ?? SqliteMetadataStore.open(metadataFile(home), { logger });
  let lease: SchedulerLease;
  try {
    const acquire = () =>
      SchedulerLease.acquire({
        store,
        home,
        logger,
        ...(leaseDurationMs === undefined ? {} : { durationMs: leaseDurationMs }),
        ...(rest.clock ? { clock: rest.clock } : {}),
      });
    lease = await retryWhileHeld(acquire, waitForLeaseMs, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  const metrics = new SchedulerMetrics();
  let scheduler: Scheduler;
  try {
    scheduler = await Scheduler.start({
      ...rest,
      token: formatSchedulerPassword({ fencingToken: lease.token, secret }),
      taskKey,
      store: meteredStore(store, metrics),
      metrics,
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
  return { scheduler, token: lease.token, metrics, lost, close };
}

/** Retries `acquire` every 250 ms while it fails with SCHEDULER_RUNNING, for at most `waitMs`. */
async function retryWhileHeld(
  acquire: () => Promise<SchedulerLease>,
  waitMs: number,
  logger: Logger,
): Promise<SchedulerLease> {
  const deadline = Date.now() + waitMs;
  let logged = false;
  for (;;) {
    try {
      return await acquire();
    } catch (error) {
      if (!(error instanceof AIFlowError) || error.code !== 'SCHEDULER_RUNNING' || Date.now() >= deadline) {
        throw error;
      }
      if (!logged) logger.info('waiting for the previous scheduler to exit', { reason: error.message });
      logged = true;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
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
