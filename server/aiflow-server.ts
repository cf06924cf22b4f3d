import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type BrokerOptions, type BrokerServer } from '../broker/index.ts';
import { createLogger, type Logger } from '../broker/logger.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.ts';
import type { MetadataStore } from '../scheduler/store/metadata-store.ts';
import { SqliteMetadataStore } from '../scheduler/store/sqlite-metadata-store.ts';

export interface ServerOptions extends Omit<BrokerOptions, 'dbFile' | 'schedulerToken' | 'logger'> {
  /** Data folder: event log, metadata, snapshots, task logs. */
  home: string;
  /** @defaultValue a logger writing `info` and above to stderr */
  logger?: Logger;
  /** Run the scheduler in this process; false: the broker alone (start `aiflow scheduler start` apart). @defaultValue true */
  runScheduler?: boolean;
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
  /** Null when the server runs without its scheduler. */
  readonly scheduler: Scheduler | null;
  /**
   * Stops the scheduler, then the broker. Task processes keep running (the next start adopts them) unless
   * `stopTasks` is set. Idempotent.
   */
  close(options?: { stopTasks?: boolean }): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<AIFlowServer> {
  const {
    home,
    logger = createLogger(),
    scheduler: schedulerOptions,
    store,
    runScheduler = true,
    ...brokerOptions
  } = options;
  mkdirSync(home, { recursive: true });
  // The scheduler proves who it is with a token made at each start; a scheduler run apart reads it from the home.
  const token = randomUUID();
  writeFileSync(schedulerTokenFile(home), token + '\n', { mode: 0o600 });
  const broker = await startBroker({
    ...brokerOptions,
    dbFile: join(home, 'aiflow.db'),
    schedulerToken: token,
    logger,
  });
  let scheduler: Scheduler | null = null;
  try {
    if (runScheduler) {
      scheduler = await startScheduler({
        ...schedulerOptions,
        home,
        server: broker.url,
        token,
        store,
        logger,
      });
    }
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
        await scheduler?.close(closeOptions);
        await scheduler?.store.close();
        await broker.close();
      })()),
  };
}

/** Where the server leaves the scheduler's token for a scheduler started apart (`aiflow scheduler start`). */
export function schedulerTokenFile(home: string): string {
  return join(home, 'scheduler.token');
}

/**
 * The scheduler alone, against a running broker (`aiflow server start --no-scheduler`): it authenticates with the
 * token that server left in the same home, and keeps its store and task files there.
 */
export async function startScheduler(options: {
  home: string;
  server: string;
  token?: string;
  store?: MetadataStore;
  logger?: Logger;
  parallelism?: number;
  stopGraceMs?: number;
  conditionTimeoutMs?: number;
  clock?: SchedulerOptions['clock'];
}): Promise<Scheduler> {
  const { home, token, store, logger = createLogger(), ...rest } = options;
  let secret = token;
  if (secret === undefined) {
    try {
      secret = readFileSync(schedulerTokenFile(home), 'utf8').trim();
    } catch (error) {
      throw new AIFlowError(
        'SERVER_NOT_RUNNING',
        `no scheduler token in ${home}: start the server with this home first`,
        {
          cause: error,
        },
      );
    }
  }
  return Scheduler.start({
    ...rest,
    token: secret,
    store: store ?? SqliteMetadataStore.open(join(home, 'metadata.db')),
    dataDir: home,
    logger,
  });
}
