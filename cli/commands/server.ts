import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { parseDuration } from '../duration.ts';
import { BROKER_DEFAULTS, DEFAULT_MAX_CONNECTIONS_PER_IDENTITY } from '../../broker/broker-defaults.ts';
import type { ServerTlsOptions } from '../../broker/server-tls.ts';
import { parseGrant, type Grant } from '../../protocol/access-roles.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { adminCredentialFile, readAdminCredential } from '../../server/home-files.ts';
import { isLoopbackHost } from '../../server/loopback.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { isProcessRunning } from '../../scheduler/process-liveness.ts';
import { defaultHome, ensureHome, removeServerRecord, runningServer, writeServerRecord } from '../home.ts';
import type { CliIO } from '../io.ts';
import { loggerOf, withLogOptions, type LogCliOptions } from '../log-options.ts';
import { collect, DEFAULT_WS_PORT, parseNonNegativeInt, parsePort } from '../options.ts';
import { leaseDurationOption, parallelismOption, type SchedulerCliOptions } from '../scheduler-options.ts';

const STOP_TIMEOUT_MS = 15_000;

/**
 * Anonymous clients: `--allow-anonymous` wherever the server listens; else `--anonymous` on a loopback host (default
 * `publisher@default`), and none on any other host.
 */
function anonymousGrants(options: StartOptions): Grant[] | null {
  if (options.allowAnonymous !== undefined) return [parseGrant(options.allowAnonymous)];
  if (!isLoopbackHost(options.host) || options.anonymous === 'none') return null;
  return [parseGrant(options.anonymous)];
}

interface StartOptions extends SchedulerCliOptions, LogCliOptions {
  port: number;
  host: string;
  home?: string;
  wsPort: number;
  /** False with `--no-ws`. */
  ws: boolean;
  httpPort?: number;
  /** False with `--no-scheduler`. */
  scheduler: boolean;
  maxPayloadBytes: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  retainEvents?: number;
  retainExecutions?: number;
  retentionIntervalMs: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsRequireClientCert?: boolean;
  wsOrigin?: string[];
  anonymous: string;
  allowAnonymous?: string;
  maxConnections: number;
}

export function serverCommand(io: CliIO): Command {
  const server = new Command('server').description(
    'run the aiflow server (MQTT broker, event log and scheduler)',
  );
  const homeOption = () =>
    new Option('--home <dir>', 'data folder [env: AIFLOW_HOME] (default: "~/.aiflow")');

  withLogOptions(server.command('start'))
    .description('start the server in the foreground (Ctrl-C or `aiflow server stop` stops it)')
    .addOption(
      new Option('--port <n>', 'MQTT port')
        .env('AIFLOW_PORT')
        .default(BROKER_DEFAULTS.port)
        .argParser(parsePort),
    )
    .addOption(
      new Option('--host <addr>', 'address to listen on').env('AIFLOW_HOST').default(BROKER_DEFAULTS.host),
    )
    .addOption(homeOption())
    .addOption(
      new Option('--ws-port <n>', 'MQTT over WebSocket port')
        .env('AIFLOW_WS_PORT')
        .default(DEFAULT_WS_PORT)
        .argParser(parsePort),
    )
    .addOption(new Option('--no-ws', 'do not serve MQTT over WebSocket'))
    .addOption(
      new Option(
        '--ws-origin <origin>',
        "a browser origin allowed on the WebSocket port besides the server's own pages (repeatable; * allows all)",
      ).argParser(collect),
    )
    .addOption(
      new Option('--tls-cert <file>', 'PEM certificate: serve mqtts:// and wss:// (with --tls-key)').env(
        'AIFLOW_TLS_CERT',
      ),
    )
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('AIFLOW_TLS_KEY'))
    .addOption(
      new Option(
        '--tls-ca <file>',
        'PEM authorities that sign client certificates (then asked for; a verified one names the client)',
      ).env('AIFLOW_TLS_CA'),
    )
    .addOption(
      new Option(
        '--tls-require-client-cert',
        'refuse connections without a client certificate signed by --tls-ca',
      ).env('AIFLOW_TLS_REQUIRE_CLIENT_CERT'),
    )
    .addOption(
      new Option(
        '--http-port <n>',
        'port of a plain HTTP listener for /metrics, /healthz and /readyz (also served on the WebSocket port)',
      )
        .env('AIFLOW_HTTP_PORT')
        .argParser(parsePort),
    )
    .addOption(
      new Option('--no-scheduler', 'run the broker alone (then `aiflow scheduler start` with the same home)'),
    )
    .addOption(parallelismOption())
    .addOption(leaseDurationOption())
    .addOption(
      new Option('--max-payload-bytes <n>', 'largest event payload')
        .env('AIFLOW_MAX_PAYLOAD_BYTES')
        .default(LIMITS.defaultMaxPayloadBytes)
        .argParser(parseNonNegativeInt),
    )
    .addOption(
      new Option(
        '--max-queued-messages <n>',
        'messages a client may have waiting; past it it is disconnected',
      )
        .env('AIFLOW_MAX_QUEUED_MESSAGES')
        .default(BROKER_DEFAULTS.maxQueuedMessages)
        .argParser(parseNonNegativeInt),
    )
    .addOption(
      new Option('--max-queued-bytes <n>', 'bytes a client may have waiting; past it it is disconnected')
        .env('AIFLOW_MAX_QUEUED_BYTES')
        .default(BROKER_DEFAULTS.maxQueuedBytes)
        .argParser(parseNonNegativeInt),
    )
    .addOption(
      new Option('--retain-events <duration>', 'prune events older than this every hour (30d, 12h…)')
        .env('AIFLOW_RETAIN_EVENTS')
        .argParser(parseDuration),
    )
    .addOption(
      new Option(
        '--retain-executions <duration>',
        'prune executions that finished longer ago than this, with their task files, every hour',
      )
        .env('AIFLOW_RETAIN_EXECUTIONS')
        .argParser(parseDuration),
    )
    .addOption(
      new Option(
        '--anonymous <grant|none>',
        'what clients without a login may do on a loopback host (role@namespace, or none)',
      )
        .env('AIFLOW_ANONYMOUS')
        .default('publisher@default'),
    )
    .addOption(
      new Option(
        '--allow-anonymous <grant>',
        'let clients without a login connect to a non-loopback --host, with this grant (refused otherwise)',
      ).env('AIFLOW_ALLOW_ANONYMOUS'),
    )
    .addOption(
      new Option('--max-connections <n>', 'connections one user, token or anonymous may hold at once')
        .env('AIFLOW_MAX_CONNECTIONS')
        .default(DEFAULT_MAX_CONNECTIONS_PER_IDENTITY)
        .argParser(parseNonNegativeInt),
    )
    .addOption(
      new Option('--retention-interval-ms <ms>', 'how often retention runs')
        .default(3_600_000)
        .argParser(parseNonNegativeInt)
        .hideHelp(),
    )
    .action(async (options: StartOptions) => {
      const { logger, level, format } = loggerOf(io, options);
      const stopRequested = io.untilStopped();
      const home = ensureHome(options.home ?? defaultHome(io.env));
      const existing = runningServer(home);
      if (existing && existing.pid !== process.pid) {
        throw new AIFlowError(
          'SERVER_ALREADY_RUNNING',
          `a server is already running for ${home} (pid ${existing.pid})`,
        );
      }
      // Loaded here, not at the top: the other commands start faster without the server and SQLite.
      const { startServer } = await import('../../server/index.ts');
      const tls = serverTlsOf(options);
      const server = await startServer({
        home,
        port: options.port,
        host: options.host,
        wsPort: options.ws ? options.wsPort : null,
        httpPort: options.httpPort ?? null,
        tls,
        wsOrigins: options.wsOrigin ?? [],
        maxPayloadBytes: options.maxPayloadBytes,
        maxQueuedMessages: options.maxQueuedMessages,
        maxQueuedBytes: options.maxQueuedBytes,
        access: {
          anonymous: anonymousGrants(options),
          maxConnectionsPerIdentity: options.maxConnections,
        },
        logger,
        // The scheduler in its own process: its disk syncs and crashes stay out of the loop that serves MQTT.
        schedulerMode: options.scheduler ? 'child-process' : 'none',
        schedulerLogLevel: level,
        schedulerLogFormat: format,
        scheduler: { parallelism: options.parallelism, leaseDurationMs: options.leaseDurationMs },
      });
      const broker = server.broker;
      writeServerRecord(home, {
        pid: process.pid,
        url: broker.url,
        ...(broker.wsUrl === null ? {} : { wsUrl: broker.wsUrl }),
      });
      const ws = broker.wsUrl ?? 'off';
      const pid = server.schedulerProcess?.pid;
      const alone = options.scheduler ? `, scheduler pid ${pid}` : ', without scheduler';
      const metrics =
        server.httpUrl === null ? '' : `metrics on ${server.httpUrl}/metrics, readiness on /readyz\n`;
      const credentials = readAdminCredential(home);
      // How to log in, never the password itself: the file is readable by the server's OS user alone.
      const login = credentials
        ? `  log in as ${credentials.username}: password in ${adminCredentialFile(home)}\n`
        : '';
      const dashboard = server.dashboardUrl === null ? '' : `dashboard on ${server.dashboardUrl}\n${login}`;
      io.stdout(
        `aiflow server listening on ${broker.url} (WebSocket ${ws}, data in ${home}${alone})\n${metrics}${dashboard}`,
      );
      const retention =
        options.retainEvents === undefined && options.retainExecutions === undefined
          ? null
          : (await import('../../server/retention.ts')).startRetention({
              server: broker.url,
              tls: server.ownClientTls,
              ...(credentials ? { credentials } : {}),
              ...(options.retainEvents === undefined ? {} : { eventsMs: options.retainEvents }),
              ...(options.retainExecutions === undefined ? {} : { executionsMs: options.retainExecutions }),
              intervalMs: options.retentionIntervalMs,
              logger,
            });
      await stopRequested;
      await retention?.close();
      await server.close();
      removeServerRecord(home);
      io.stdout('aiflow server stopped\n');
    });

  server
    .command('stop')
    .description('stop the server started from the same home folder')
    .addOption(homeOption())
    .action(async (options: { home?: string }) => {
      const home = options.home ?? defaultHome(io.env);
      const record = runningServer(home);
      if (!record) throw new AIFlowError('SERVER_NOT_RUNNING', `no server is running for ${home}`);
      process.kill(record.pid, 'SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (isProcessRunning(record.pid)) {
        if (Date.now() > deadline) {
          throw new AIFlowError(
            'TIMEOUT',
            `server (pid ${record.pid}) did not stop within ${STOP_TIMEOUT_MS} ms`,
          );
        }
        await sleep(50);
      }
      io.stdout(`aiflow server stopped (pid ${record.pid})\n`);
    });
  return server;
}

/** The TLS options of `server start`: a certificate and its key go together, the others need them. */
function serverTlsOf(options: StartOptions): ServerTlsOptions | null {
  const { tlsCert, tlsKey, tlsCa, tlsRequireClientCert = false } = options;
  if (tlsCert === undefined && tlsKey === undefined) {
    if (tlsCa !== undefined || tlsRequireClientCert) {
      throw new AIFlowError(
        'INVALID_OPTION',
        '--tls-ca and --tls-require-client-cert need --tls-cert and --tls-key',
      );
    }
    return null;
  }
  if (tlsCert === undefined || tlsKey === undefined) {
    throw new AIFlowError('INVALID_OPTION', '--tls-cert and --tls-key go together');
  }
  return {
    certFile: tlsCert,
    keyFile: tlsKey,
    ...(tlsCa === undefined ? {} : { caFile: tlsCa }),
    requireClientCert: tlsRequireClientCert,
  };
}
