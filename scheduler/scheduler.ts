import { AIFlowNotificationClient } from '../client/notification-client.ts';
import type { ClientTls } from '../client/client-tls.ts';
import type { Logger } from '../broker/logger.ts';
import { toAIFlowError } from '../protocol/errors.ts';
import { DEFAULT_SERVER_URL } from '../protocol/runtime-env.ts';
import { schedulerSecret } from '../protocol/scheduler-credential.ts';
import { SCHEDULER_USERNAME } from '../protocol/topics.ts';
import { SYSTEM_CLOCK, type Clock } from './clock.ts';
import { ConditionSandbox } from './condition-sandbox.ts';
import { keepSnapshotsWarm } from './condition-scope.ts';
import { SchedulerEngine } from './engine/engine.ts';
import { commitCrashHook } from './executor/crash-points.ts';
import { LocalTaskExecutor } from './executor/local-executor.ts';
import { handleSchedulerRequest } from './requests.ts';
import { runAuthorized } from './request-access.ts';
import type { Caller } from '../protocol/access-roles.ts';
import { SchedulerConnection } from './scheduler-connection.ts';
import { StatusPublisher } from './status-publisher.ts';
import type { SchedulerMetrics } from './scheduler-metrics.ts';
import type { MetadataStore } from './store/metadata-store.ts';

export interface SchedulerOptions {
  /** MQTT URL of the broker. @defaultValue `mqtt://localhost:1883` */
  server?: string;
  /** The broker's scheduler token (password of the MQTT user `aiflow-scheduler`). */
  token: string;
  /** The key task logins are derived from; the broker must hold the same. @defaultValue the secret in `token` */
  taskKey?: string;
  store: MetadataStore;
  /** Snapshots and task logs go here. */
  dataDir: string;
  logger: Logger;
  /** Task processes running at once. @defaultValue 10 */
  parallelism?: number;
  /** Grace between SIGTERM and SIGKILL when a task is stopped. @defaultValue 10000 */
  stopGraceMs?: number;
  /** Longest a custom condition's `isMet` may take; longer counts as not met. @defaultValue 2000 */
  conditionTimeoutMs?: number;
  /** Injected clock (tests drive schedules, retries and periodic tasks with it). @defaultValue the system clock */
  clock?: Clock;
  /** Where the scheduler reports its series (`/metrics`). @defaultValue none */
  metrics?: SchedulerMetrics;
  /** Certificates of an `mqtts://` server. @defaultValue the files named by `$AIFLOW_CA`, `$AIFLOW_CERT`, `$AIFLOW_CERT_KEY` */
  tls?: ClientTls | undefined;
}

/**
 * The event-driven scheduler as a process runs it: the engine (see `engine/engine.ts`) wired to its connections.
 * It consumes the event log in offset order as an MQTT client, answers requests forwarded by the broker, runs task
 * processes through the local executor and publishes committed status events.
 */
export class Scheduler {
  readonly #o: Required<Omit<SchedulerOptions, 'server' | 'metrics' | 'tls' | 'taskKey'>> & {
    server: string;
    tls?: ClientTls | undefined;
  };
  readonly #executor: LocalTaskExecutor;
  readonly #sandbox: ConditionSandbox;
  readonly #statuses: StatusPublisher;
  readonly #engine: SchedulerEngine;
  #events: AIFlowNotificationClient | null = null;
  #connection: SchedulerConnection | null = null;
  #closing: Promise<void> | undefined;

  private constructor(options: SchedulerOptions) {
    this.#o = {
      server: options.server ?? DEFAULT_SERVER_URL,
      parallelism: 10,
      stopGraceMs: 10_000,
      conditionTimeoutMs: 2_000,
      clock: SYSTEM_CLOCK,
      ...options,
    };
    this.#executor = new LocalTaskExecutor({
      dataDir: `${options.dataDir}/tasks`,
      parallelism: this.#o.parallelism,
      stopGraceMs: this.#o.stopGraceMs,
    });
    this.#sandbox = new ConditionSandbox({ timeoutMs: this.#o.conditionTimeoutMs, logger: this.#o.logger });
    this.#statuses = new StatusPublisher(options.store, this.#o.logger);
    const onCommitted = commitCrashHook();
    this.#engine = new SchedulerEngine({
      store: options.store,
      runner: this.#executor,
      conditions: this.#sandbox,
      clock: this.#o.clock,
      logger: this.#o.logger,
      dataDir: this.#o.dataDir,
      server: this.#o.server,
      taskSecret: options.taskKey ?? schedulerSecret(options.token),
      publish: (outbox) => void this.#statuses.publish(outbox),
      statusBacklog: () => this.#statuses.caughtUp(),
      ...(onCommitted ? { onCommitted } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    options.metrics?.watchExecutor(this.#executor);
  }

  static async start(options: SchedulerOptions): Promise<Scheduler> {
    const scheduler = new Scheduler(options);
    try {
      await scheduler.#start();
    } catch (error) {
      await scheduler.close();
      throw error;
    }
    return scheduler;
  }

  get store(): MetadataStore {
    return this.#engine.store;
  }

  async #start(): Promise<void> {
    // Listeners first: adopted tasks may report as soon as they are adopted.
    this.#executor.on(
      'started',
      ({ taskExecutionId, pid }) => void this.#report(this.#engine.taskStarted(taskExecutionId, pid)),
    );
    this.#executor.on('finished', (end) => void this.#report(this.#engine.taskFinished(end)));
    const recovery = await this.#engine.load();
    this.#warmConditions();
    this.#connection = await SchedulerConnection.connect(
      this.#o.server,
      this.#o.token,
      (method, params, caller, requester) => this.handleRequest(method, params, caller, requester),
      this.#o.tls,
    );
    await this.#statuses.attach(this.#connection);
    this.#events = await AIFlowNotificationClient.connect({
      server: this.#o.server,
      clientId: `aiflow-scheduler-events-${process.pid}`,
      sender: SCHEDULER_USERNAME,
      credentials: { username: SCHEDULER_USERNAME, password: this.#o.token },
      ...(this.#o.tls ? { tls: this.#o.tls } : {}),
    });
    this.#events.on('listenerError', (error) =>
      this.#o.logger.error('event processing failed', { reason: toAIFlowError(error).message }),
    );
    await this.#events.registerListener(
      { process: (events) => this.#engine.events(events) },
      { allNamespaces: true, beginOffset: recovery.checkpoint },
    );
    await this.#engine.catalog.startSchedules();
    this.#o.logger.info('scheduler running', {
      executions: this.#engine.liveExecutions,
      checkpoint: recovery.checkpoint,
    });
  }

  /** Executor reports are inputs like any other; one that fails is logged (memory was rebuilt from the store). */
  async #report(input: Promise<void>): Promise<void> {
    await input.catch((error: unknown) =>
      this.#o.logger.error('task report failed', { reason: toAIFlowError(error).message }),
    );
  }

  /**
   * Requests forwarded by the broker; implemented in `requests.ts`, each one a unit of work, run only if `caller`
   * (who the broker says asked) may (`request-access.ts`). `requester`: the asking client's id, recorded as part of
   * the cause of the task actions a request takes.
   */
  async handleRequest(
    method: string,
    params: Record<string, unknown>,
    caller: Caller,
    requester: { client?: string } = {},
  ): Promise<unknown> {
    try {
      return await this.#engine.request(method, (target) =>
        runAuthorized(target, caller, method, params, () =>
          handleSchedulerRequest(target, method, params, requester),
        ),
      );
    } finally {
      // An upload, an enable or a new trigger may bring custom conditions: their sandbox starts ahead of need.
      this.#warmConditions();
    }
  }

  #warmConditions(): void {
    keepSnapshotsWarm(this.#sandbox, this.#o.dataDir, this.#engine.activeSnapshots());
  }

  /**
   * Stops consuming and closes every connection. Task processes keep running (the next start adopts them)
   * unless `stopTasks` is set. Idempotent.
   */
  close(options: { stopTasks?: boolean } = {}): Promise<void> {
    this.#closing ??= (async () => {
      await this.#events?.close().catch(() => undefined);
      this.#engine.stopTimers();
      this.#statuses.close();
      await this.#connection?.close().catch(() => undefined);
      await this.#sandbox.close();
      // Reports of tasks stopped here are still committed; the engine closes after them.
      await this.#executor.close({ stopTasks: options.stopTasks === true });
      await this.#engine.close();
    })();
    return this.#closing;
  }
}
