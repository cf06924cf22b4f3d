import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../protocol/module-url.ts';
import type { LogFormat, Logger, LogLevel } from '../broker/logger.ts';
import { AIFlowError, isErrorCode } from '../protocol/errors.ts';
import { RUNTIME_ENV } from '../protocol/runtime-env.ts';
import type { SchedulerMetricsSnapshot } from '../scheduler/scheduler-metrics.ts';

/** The CLI entry: the child runs exactly what `aiflow scheduler start` runs. */
const AIFLOW_BIN = fileURLToPath(new URL('bin/aiflow.js', packageRoot(import.meta.url, 1)));

export interface SchedulerProcessOptions {
  home: string;
  /** MQTT URL of the broker. */
  server: string;
  /**
   * Under TLS: the file of authorities the child trusts (passed as `AIFLOW_CA`, so that its tasks trust them too),
   * and the certificate and key it presents when the server requires one (passed as options, not to its tasks).
   */
  tls?: { caFile: string; certFile?: string; keyFile?: string };
  logger: Logger;
  /** @defaultValue 'info' */
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  parallelism?: number;
  stopGraceMs?: number;
  conditionTimeoutMs?: number;
  leaseDurationMs?: number;
  /** Between SIGTERM and SIGKILL when the server stops. @defaultValue 10000 */
  stopTimeoutMs?: number;
  /** First delay before a restart; doubles at each quick failure, up to 30 s. @defaultValue 500 */
  restartDelayMs?: number;
  /** Where the child's output lines go. @defaultValue the server's stderr */
  output?: (line: string) => void;
}

const MAX_RESTART_DELAY_MS = 30_000;
/** A child that ran this long before it died starts the back-off over. */
const STABLE_AFTER_MS = 30_000;

/** What the supervised `aiflow scheduler start` tells the server through the IPC channel. */
export type SupervisorMessage =
  | { type: 'ready'; pid: number }
  /** The answer to a `collect-metrics` request. */
  | { type: 'metrics'; id: number; metrics: SchedulerMetricsSnapshot };

/** What the server asks the supervised scheduler through the IPC channel. */
export type SupervisedMessage = { type: 'collect-metrics'; id: number };

/** How long a scrape waits for the child's series before it goes without them. @defaultValue 2000 */
const COLLECT_TIMEOUT_MS = 2_000;

/**
 * `aiflow scheduler start` as a child of the server: started after the broker listens, its output forwarded to
 * the server's log, restarted with back-off if it dies, stopped gracefully (SIGTERM, then SIGKILL) with the server.
 */
export class SchedulerProcess {
  readonly #o: SchedulerProcessOptions;
  #child: ChildProcess | null = null;
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  #closing: Promise<void> | undefined;
  /** A child that reported ready (it answers metrics requests); null while none runs. */
  #readyChild: ChildProcess | null = null;
  readonly #collects = new Map<number, (metrics: SchedulerMetricsSnapshot | null) => void>();
  #nextCollectId = 1;

  private constructor(options: SchedulerProcessOptions) {
    this.#o = options;
  }

  /** Resolves once the first child runs; rejects with its error (e.g. SCHEDULER_RUNNING) if it exits before. */
  static async start(options: SchedulerProcessOptions): Promise<SchedulerProcess> {
    const supervisor = new SchedulerProcess(options);
    await supervisor.#spawn();
    return supervisor;
  }

  /** Pid of the running child; null while it is being restarted. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /**
   * The running child's Prometheus series, over the IPC channel; null when no child runs or it does not answer
   * within `timeoutMs` (a scrape must not hang on a scheduler that is restarting or stuck).
   */
  collectMetrics(timeoutMs = COLLECT_TIMEOUT_MS): Promise<SchedulerMetricsSnapshot | null> {
    const child = this.#readyChild;
    if (!child?.connected) return Promise.resolve(null);
    const id = this.#nextCollectId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), timeoutMs);
      const settle = (metrics: SchedulerMetricsSnapshot | null) => {
        clearTimeout(timer);
        this.#collects.delete(id);
        resolve(metrics);
      };
      this.#collects.set(id, settle);
      child.send({ type: 'collect-metrics', id } satisfies SupervisedMessage, (error) => {
        if (error) settle(null);
      });
    });
  }

  /** Stops the child (SIGTERM, then SIGKILL after `stopTimeoutMs`) and restarts no more. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#restartTimer) clearTimeout(this.#restartTimer);
      const child = this.#child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.#o.logger.warn('scheduler process did not stop in time: killed', { pid: child.pid });
        child.kill('SIGKILL');
      }, this.#o.stopTimeoutMs ?? 10_000);
      await exited;
      clearTimeout(timer);
    })();
    return this.#closing;
  }

  #spawn(): Promise<void> {
    const o = this.#o;
    const args = [AIFLOW_BIN, 'scheduler', 'start', '--server', o.server, '--home', o.home];
    args.push('--log-level', o.logLevel ?? 'info', '--log-format', o.logFormat ?? 'pretty');
    if (o.parallelism !== undefined) args.push('--parallelism', String(o.parallelism));
    if (o.stopGraceMs !== undefined) args.push('--stop-grace-ms', String(o.stopGraceMs));
    if (o.conditionTimeoutMs !== undefined) args.push('--condition-timeout-ms', String(o.conditionTimeoutMs));
    if (o.leaseDurationMs !== undefined) args.push('--lease-duration-ms', String(o.leaseDurationMs));
    if (o.tls?.certFile !== undefined) args.push('--cert', o.tls.certFile);
    if (o.tls?.keyFile !== undefined) args.push('--cert-key', o.tls.keyFile);
    // Its own process group: a Ctrl-C in the terminal reaches the server, which stops the child in order.
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
      ...(o.tls ? { env: { ...process.env, [RUNTIME_ENV.ca]: o.tls.caFile } } : {}),
    });
    this.#child = child;
    const startedAt = Date.now();
    let lastError: AIFlowError | undefined;
    const forward = (line: string) => {
      const reported = /^aiflow: ([A-Z_]+): (.*)$/.exec(line);
      if (reported && isErrorCode(reported[1])) lastError = new AIFlowError(reported[1], reported[2]!);
      (o.output ?? ((l: string) => process.stderr.write(l + '\n')))(line);
    };
    createInterface({ input: child.stdout! }).on('line', forward);
    createInterface({ input: child.stderr! }).on('line', forward);

    return new Promise<void>((resolve, reject) => {
      let ready = false;
      child.on('message', (message: SupervisorMessage) => {
        if (message.type === 'metrics') return this.#collects.get(message.id)?.(message.metrics);
        if (message.type !== 'ready' || ready) return;
        ready = true;
        this.#readyChild = child;
        o.logger.info('scheduler process running', { pid: message.pid });
        resolve();
      });
      child.once('error', (error) => {
        if (!ready)
          reject(new AIFlowError('INTERNAL', `cannot start the scheduler process: ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = null;
        if (this.#readyChild === child) {
          this.#readyChild = null;
          for (const settle of [...this.#collects.values()]) settle(null);
        }
        if (!ready) {
          reject(
            lastError ??
              new AIFlowError(
                'INTERNAL',
                `the scheduler process exited (${signal ?? `code ${code}`}) before it was running`,
              ),
          );
          return;
        }
        if (this.#closing) return;
        this.#restartAfter(Date.now() - startedAt, code, signal);
      });
    });
  }

  #restartAfter(uptimeMs: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (uptimeMs >= STABLE_AFTER_MS) this.#restarts = 0;
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, (this.#o.restartDelayMs ?? 500) * 2 ** this.#restarts);
    this.#restarts += 1;
    this.#o.logger.warn('scheduler process exited: restarting', {
      exit: signal ?? code ?? 'unknown',
      restartInMs: delayMs,
    });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#closing) return;
      this.#spawn().catch((error: unknown) => {
        // Exited again before it ran (e.g. another scheduler holds the lease): the exit handler logged it.
        this.#o.logger.warn('scheduler process failed to start', { reason: (error as Error).message });
        if (!this.#closing) this.#restartAfter(0, null, null);
      });
    }, delayMs);
  }
}

/**
 * The supervised side, for `aiflow scheduler start`: null when not started by a server. When the server goes away
 * (even killed with SIGKILL, which closes the channel) the scheduler exits at once, as a crash would: every input
 * is all-or-nothing, and a holder whose process is gone is replaced at once, so the server's next start is not
 * kept waiting behind an orphan that drains its backlog.
 */
export function supervisorChannel(): {
  /** Tells the server the scheduler runs; from then on the server may ask for `metrics`. */
  ready(metrics: () => Promise<SchedulerMetricsSnapshot>): void;
} | null {
  if (!process.send || !process.connected) return null;
  // The channel must not keep the process alive once the scheduler stopped (a 'message' listener added after an
  // explicit unref does not ref it again).
  process.channel?.unref();
  process.once('disconnect', () => {
    process.stderr.write('aiflow: the server is gone: the scheduler exits\n');
    process.exit(1);
  });
  const send = (message: SupervisorMessage) => {
    if (process.connected) process.send?.(message);
  };
  return {
    ready: (metrics) => {
      process.on('message', (message: SupervisedMessage) => {
        if (message.type !== 'collect-metrics') return;
        void metrics().then((snapshot) => send({ type: 'metrics', id: message.id, metrics: snapshot }));
      });
      send({ type: 'ready', pid: process.pid });
    },
  };
}
