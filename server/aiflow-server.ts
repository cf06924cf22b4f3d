import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type BrokerOptions, type BrokerServer } from '../broker/index.ts';
import { createLogger, type Logger } from '../broker/logger.ts';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.ts';
import type { MetadataStore } from '../scheduler/store/metadata-store.ts';
import { SqliteMetadataStore } from '../scheduler/store/sqlite-metadata-store.ts';

export interface ServerOptions extends Omit<BrokerOptions, 'dbFile' | 'schedulerToken' | 'logger'> {
  /** Data folder: event log, metadata, snapshots, task logs. */
  home: string;
  /** @defaultValue a logger writing `info` and above to stderr */
  logger?: Logger;
  /** The scheduler's store. @defaultValue SQLite at `<home>/metadata.db` */
  store?: MetadataStore;
  /** Scheduler settings (parallelism, stop grace, condition time-out, clock). */
  scheduler?: Pick<SchedulerOptions, 'parallelism' | 'stopGraceMs' | 'conditionTimeoutMs' | 'clock'>;
}

/** The broker, its event log and the scheduler, in this process: what `aiflow server start` runs. */
export interface AIFlowServer {
  readonly url: string;
  readonly port: number;
  readonly wsPort: number | null;
  readonly broker: BrokerServer;
  readonly scheduler: Scheduler;
  /**
   * Stops the scheduler, then the broker. Task processes keep running (the next start adopts them) unless
   * `stopTasks` is set. Idempotent.
   */
  close(options?: { stopTasks?: boolean }): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<AIFlowServer> {
  const { home, logger = createLogger(), scheduler: schedulerOptions, store, ...brokerOptions } = options;
  mkdirSync(home, { recursive: true });
  // The scheduler proves who it is with a token only this process knows.
  const token = randomUUID();
  const broker = await startBroker({
    ...brokerOptions,
    dbFile: join(home, 'aiflow.db'),
    schedulerToken: token,
    logger,
  });
  let scheduler: Scheduler;
  try {
    scheduler = await Scheduler.start({
      ...schedulerOptions,
      server: broker.url,
      token,
      store: store ?? SqliteMetadataStore.open(join(home, 'metadata.db')),
      dataDir: home,
      logger,
    });
  } catch (error) {
    await broker.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: broker.url,
    port: broker.port,
    wsPort: broker.wsPort,
    broker,
    scheduler,
    close: (closeOptions = {}) =>
      (closing ??= (async () => {
        await scheduler.close(closeOptions);
        await scheduler.store.close();
        await broker.close();
      })()),
  };
}
