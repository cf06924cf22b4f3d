import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BROKER_DEFAULTS, startBroker, type BrokerOptions, type BrokerServer } from '../broker/index.ts';
import { loadServerTls } from '../broker/server-tls.ts';
import type { ClientTls } from '../client/client-tls.ts';
import { createLogger, type Logger, type LogFormat, type LogLevel } from '../broker/logger.ts';
import { AIFlowError } from '../protocol/errors.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import type { MetadataStore } from '../scheduler/store/metadata-store.ts';
import { SqliteMetadataStore } from '../scheduler/store/sqlite-metadata-store.ts';
import { readCheckpointFile } from '../scheduler/store/checkpoint-file.ts';
import { readLeaseFile } from '../scheduler/store/sqlite-lease.ts';
import { prepareAccess, type ServerAccessOptions } from './access-setup.ts';
import { serveDashboard } from './dashboard-routes.ts';
import {
  metadataFile,
  readAdminCredential,
  readTaskKey,
  schedulerTokenFile,
  serverTrustFile,
} from './home-files.ts';
import { forgetLocalLogin, registerLocalLogin } from '../protocol/local-logins.ts';
import { HttpEndpoints } from './http-endpoints.ts';
import { listenHttp, validateHttpPort, type HttpListener } from './http-listener.ts';
import { readinessBounds, type ReadinessBounds } from './readiness.ts';
import { SchedulerProcess } from './scheduler-process.ts';
import type { SchedulerSeriesSource } from './scheduler-progress.ts';
import { startScheduler, type SchedulerSettings } from './start-scheduler.ts';

/**
 * Where `startServer` runs the scheduler:
 * - `in-process`: on the broker's event loop (tests inject a clock and a store);
 * - `child-process`: `aiflow scheduler start` in a child process the server supervises (what `aiflow server start`
 *   runs: the scheduler's disk syncs and crashes stay out of the process that serves MQTT);
 * - `none`: the broker alone (start `aiflow scheduler start` apart).
 */
export type SchedulerMode = 'in-process' | 'child-process' | 'none';
const SCHEDULER_MODES: readonly SchedulerMode[] = ['in-process', 'child-process', 'none'];

export interface ServerOptions extends Omit<
  BrokerOptions,
  'dbFile' | 'schedulerToken' | 'taskKey' | 'schedulerLease' | 'logger' | 'httpHandler' | 'access'
> {
  /**
   * Access control (see "Security" in the README). `'open'` turns it off: every client may do everything, as an
   * embedded broker does (for tests and trusted single-user setups).
   * @defaultValue users and tokens in `<home>/access.db`, an admin made on first start, anonymous clients
   * `publisher@default` on a loopback host and refused on any other
   */
  access?: ServerAccessOptions | 'open';
  /** Data folder: event log, metadata, snapshots, task logs. */
  home: string;
  /** @defaultValue a logger writing `info` and above to stderr */
  logger?: Logger;
  /** @defaultValue 'in-process' */
  schedulerMode?: SchedulerMode;
  /** The in-process scheduler's store. @defaultValue SQLite at `<home>/metadata.db` */
  store?: MetadataStore;
  /** Scheduler settings (the clock applies in process only). */
  scheduler?: SchedulerSettings;
  /** Log level of the scheduler child process. @defaultValue 'info' */
  schedulerLogLevel?: LogLevel;
  /**
   * Port of a plain HTTP listener for `/metrics`, `/healthz` and `/readyz`, beside the WebSocket port (which serves
   * them too) or instead of it (`wsPort: null`); 0 picks a free one; null: none. @defaultValue null
   */
  httpPort?: number | null;
  /** When `/readyz` counts the scheduler as caught up. @defaultValue 1000 events or 5 s behind */
  readiness?: Partial<ReadinessBounds>;
  /** The scheduler child's log format; its lines are forwarded as they are. @defaultValue `'pretty'` */
  schedulerLogFormat?: LogFormat;
}

/** The broker, its event log and the scheduler: what `aiflow server start` runs. */
export interface AIFlowServer {
  /** `mqtt://host:port`, `mqtts://` with TLS. */
  readonly url: string;
  readonly port: number;
  readonly wsPort: number | null;
  /** `ws://host:port`, `wss://` with TLS; null without the WebSocket listener. */
  readonly wsUrl: string | null;
  /**
   * What the server's own clients use to reach `url` under TLS (they trust its certificate, and present it when
   * client certificates are required); undefined without TLS.
   */
  readonly ownClientTls: ClientTls | undefined;
  /** Port of the plain HTTP listener (`httpPort`); null without one. */
  readonly httpPort: number | null;
  /** Where `/metrics`, `/healthz` and `/readyz` are served (`http://host:port`); null with neither listener. */
  readonly httpUrl: string | null;
  /** The web dashboard, on the WebSocket listener (`http://host:wsPort/`); null without WebSocket. */
  readonly dashboardUrl: string | null;
  readonly broker: BrokerServer;
  /** The in-process scheduler; null in the other modes. */
  readonly scheduler: Scheduler | null;
  /** The supervised scheduler process (`child-process` mode); null in the other modes. */
  readonly schedulerProcess: SchedulerProcess | null;
  /**
   * Stops the scheduler, then the broker. Task processes keep running (the next start adopts them) unless
   * `stopTasks` is set (in process only). Idempotent.
   */
  close(options?: { stopTasks?: boolean }): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<AIFlowServer> {
  const {
    home,
    logger = createLogger(),
    scheduler: settings = {},
    store,
    schedulerMode = 'in-process',
    schedulerLogLevel = 'info',
    httpPort = null,
    readiness,
    schedulerLogFormat = 'pretty',
    access = {},
    ...brokerOptions
  } = options;
  if (!SCHEDULER_MODES.includes(schedulerMode)) {
    throw new AIFlowError(
      'INVALID_OPTION',
      `schedulerMode must be ${SCHEDULER_MODES.join(', ')}, got ${String(schedulerMode)}`,
    );
  }
  if (httpPort !== null) validateHttpPort(httpPort);
  // Checked here too, before the home is written: the broker reads the same files again when it starts.
  const tls = brokerOptions.tls ? loadServerTls(brokerOptions.tls) : null;
  const ownClientTls: ClientTls | undefined = tls
    ? { ca: tls.trusted, ...(tls.requireClientCert ? { cert: tls.cert, key: tls.key } : {}) }
    : undefined;
  const bounds = readinessBounds(readiness);
  if (schedulerMode !== 'in-process' && (store !== undefined || settings.clock !== undefined)) {
    throw new AIFlowError('INVALID_OPTION', 'store and clock apply to the in-process scheduler only');
  }
  mkdirSync(home, { recursive: true });
  // A secret made at each start proves the scheduler can read this home; a scheduler run apart reads it there.
  const secret = randomUUID();
  writeFileSync(schedulerTokenFile(home), secret + '\n', { mode: 0o600 });
  const taskKey = readTaskKey(home);
  if (tls) writeFileSync(serverTrustFile(home), tls.trusted);
  const inProcessStore =
    schedulerMode === 'in-process'
      ? (store ?? SqliteMetadataStore.open(metadataFile(home), { logger }))
      : null;
  // The broker admits the scheduler identity only with the lease's current fencing token. In process it asks the
  // scheduler's store; otherwise it reads the lease row of the home's metadata file (read-only, one row).
  const currentToken = inProcessStore
    ? async () => (await inProcessStore.readLease())?.token ?? null
    : async () => readLeaseFile(metadataFile(home))?.token ?? null;
  // Created once the broker runs (they read it); until then the WebSocket port answers 503.
  let endpoints: HttpEndpoints | null = null;
  let broker: BrokerServer;
  try {
    const host = brokerOptions.host ?? BROKER_DEFAULTS.host;
    if (access === 'open') logger.warn('access control is off: every client may do everything', { host });
    const accessOptions = access === 'open' ? null : await prepareAccess(home, host, access, logger);
    broker = await startBroker({
      access: accessOptions,
      ...brokerOptions,
      dbFile: join(home, 'aiflow.db'),
      schedulerToken: secret,
      taskKey,
      schedulerLease: currentToken,
      // Read from the file whichever process runs the scheduler; an injected store has no file.
      schedulerCheckpoint: async () =>
        store ? (await store.loadRecovery()).checkpoint : (readCheckpointFile(metadataFile(home)) ?? 0),
      logger,
      // The dashboard first (its own paths), then /metrics, /healthz and /readyz.
      httpHandler: (request, response) =>
        endpoints
          ? serveDashboard(request, response, logger) || endpoints.handle(request, response)
          : response.writeHead(503).end(),
    });
    if (accessOptions?.adminCreated) {
      logger.info('admin user created', { user: 'admin', credential: accessOptions.adminCreated });
    }
    // Clients of this process log in as the admin with no configuration (see `local-logins.ts`).
    const admin = accessOptions ? readAdminCredential(home) : undefined;
    if (admin) registerLocalLogin(broker.url, admin);
  } catch (error) {
    await inProcessStore?.close();
    throw error;
  }
  let inProcess: Awaited<ReturnType<typeof startScheduler>> | null = null;
  let child: SchedulerProcess | null = null;
  try {
    if (inProcessStore) {
      inProcess = await startScheduler({
        ...settings,
        home,
        server: broker.url,
        secret,
        taskKey,
        store: inProcessStore,
        logger,
        tls: ownClientTls,
      });
      void inProcess.lost.then((error) =>
        logger.error('scheduler stopped: its lease was lost', { reason: error.message }),
      );
    } else if (schedulerMode === 'child-process') {
      const { parallelism, stopGraceMs, conditionTimeoutMs, leaseDurationMs } = settings;
      child = await SchedulerProcess.start({
        ...definedOnly({ parallelism, stopGraceMs, conditionTimeoutMs, leaseDurationMs }),
        home,
        server: broker.url,
        logger,
        logLevel: schedulerLogLevel,
        logFormat: schedulerLogFormat,
        ...(brokerOptions.tls
          ? {
              tls: {
                caFile: serverTrustFile(home),
                ...(brokerOptions.tls.requireClientCert
                  ? {
                      certFile: resolve(brokerOptions.tls.certFile),
                      keyFile: resolve(brokerOptions.tls.keyFile),
                    }
                  : {}),
              },
            }
          : {}),
      });
    }
  } catch (error) {
    await broker.close();
    throw error;
  }
  const running = inProcess;
  const supervised = child;
  const source: SchedulerSeriesSource = running
    ? { series: () => running.metrics.snapshot() }
    : supervised
      ? { series: () => supervised.collectMetrics() }
      : // A scheduler run apart: only its stored checkpoint can be read.
        { series: async () => null, storedCheckpoint: () => readCheckpointFile(metadataFile(home)) };
  endpoints = new HttpEndpoints(broker, source, bounds, logger);
  const host = brokerOptions.host ?? BROKER_DEFAULTS.host;
  let http: HttpListener | null = null;
  if (httpPort !== null) {
    try {
      http = await listenHttp(httpPort, host, endpoints.handle);
    } catch (error) {
      await inProcess?.close();
      await child?.close();
      await broker.close();
      throw error;
    }
  }
  const endpointsPort = http?.port ?? broker.wsPort;
  let closing: Promise<void> | undefined;
  return {
    url: broker.url,
    port: broker.port,
    wsPort: broker.wsPort,
    httpPort: http?.port ?? null,
    wsUrl: broker.wsUrl,
    ownClientTls,
    // The WebSocket port speaks HTTPS under TLS; the plain HTTP listener stays plain.
    httpUrl:
      endpointsPort === null ? null : `${http === null && tls ? 'https' : 'http'}://${host}:${endpointsPort}`,
    dashboardUrl: broker.wsPort === null ? null : `${tls ? 'https' : 'http'}://${host}:${broker.wsPort}/`,
    broker,
    scheduler: inProcess?.scheduler ?? null,
    schedulerProcess: child,
    close: (closeOptions = {}) =>
      (closing ??= (async () => {
        await http?.close();
        await inProcess?.close(closeOptions);
        await child?.close();
        await broker.close();
        forgetLocalLogin(broker.url);
      })()),
  };
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
