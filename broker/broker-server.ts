import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server as HttpServer,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import { replyTopicOwner, SCHEDULER_RPC_TOPIC } from '../protocol/topics.ts';
import {
  BROKER_DEFAULTS,
  DEFAULT_AUDIT_MAX_ENTRIES,
  DEFAULT_MAX_CONNECTIONS_PER_IDENTITY,
} from './broker-defaults.ts';
import { AuditLog } from './audit-log.ts';
import { AuditTrail } from './audit-trail.ts';
import { ANONYMOUS_NAME, BrokerAccess, type SchedulerLeaseSource } from './access.ts';
import { IdentityStore } from './identity-store.ts';
import { subscribeRefusal } from './topic-access.ts';
import type { Grant } from '../protocol/access-roles.ts';
import { BrokerMetrics } from './broker-metrics.ts';
import { EventGateway } from './event-gateway.ts';
import { EventLog } from './event-log.ts';
import { createFrameGuard, type FrameViolation } from './frame-guard.ts';
import { coalesceWrites, flushWrites } from './write-coalescing.ts';
import { createLogger, type Logger } from './logger.ts';
import { OutboundQueueLimit } from './outbound-queue-limit.ts';
import { ResendFilter } from './resend-filter.ts';
import { RetainedQuota } from './retained-quota.ts';
import { listen } from './listen.ts';
import { RpcService } from './rpc-service.ts';
import { announceServer } from './server-info.ts';
import { loadServerTls, type ServerTlsOptions } from './server-tls.ts';
import { WebSocketOrigins } from './ws-origin.ts';
import { maySubscribe, routePublish } from './topic-policy.ts';

export interface BrokerOptions {
  /** SQLite file of the event log (created if missing). */
  dbFile: string;
  /** TCP port; 0 picks a free one. @defaultValue 1883 */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** WebSocket port (MQTT over WebSocket on path `/`); 0 picks a free one; `null` disables it. @defaultValue null */
  wsPort?: number | null;
  /** Largest event payload in bytes. @defaultValue 262144 */
  maxPayloadBytes?: number;
  /** @defaultValue 'full' */
  durability?: 'full' | 'normal';
  /** @defaultValue a logger writing `info` and above to stderr */
  logger?: Logger;
  /** Password of the scheduler's MQTT user `aiflow-scheduler`; null: no scheduler may connect. @defaultValue null */
  schedulerToken?: string | null;
  /** The key task logins are derived from (`protocol/task-credential.ts`). @defaultValue the scheduler token */
  taskKey?: string | null;
  /**
   * The scheduler lease's current fencing token: when set, the scheduler's password is `<token>:<secret>` and only
   * the current token is accepted. @defaultValue null (the password is the scheduler token alone)
   */
  schedulerLease?: SchedulerLeaseSource | null;
  /**
   * The scheduler's checkpoint (last event offset it processed): `events.prune` never removes an event above it.
   * @defaultValue null (nothing is ever pruned)
   */
  schedulerCheckpoint?: (() => Promise<number>) | null;
  /**
   * Most messages a client may have waiting to be written to its connection; past it the client is disconnected
   * (`SLOW_CONSUMER` in the log), so that a client that stops reading cannot slow anyone else.
   * @defaultValue 10000
   */
  maxQueuedMessages?: number;
  /**
   * Most bytes a client may have waiting to be written to its connection; past it the client is disconnected
   * (`SLOW_CONSUMER`). Also each connection's stream buffer size (its high-water mark), in both directions.
   * @defaultValue 16777216 (16 MiB)
   */
  maxQueuedBytes?: number;
  /** Most retained messages clients may keep on plain (non-`ns/`) topics, in total. @defaultValue 10000 */
  maxRetainedMessages?: number;
  /** Most payload bytes of retained messages on plain (non-`ns/`) topics, in total. @defaultValue 16777216 (16 MiB) */
  maxRetainedBytes?: number;
  /**
   * Answers plain HTTP requests on the WebSocket port (WebSocket upgrades go to MQTT).
   * @defaultValue every request gets 404
   */
  httpHandler?: RequestListener;
  /** TLS on both listeners (`mqtts://`, `wss://`); null: plain TCP and WebSocket. @defaultValue null */
  tls?: ServerTlsOptions | null;
  /**
   * Browser origins (`https://host:port`) allowed to open a WebSocket connection besides the server's own pages;
   * `*` allows every origin. Requests without an `Origin` header (non-browser clients) are always allowed.
   * @defaultValue [] (the server's own pages only)
   */
  wsOrigins?: readonly string[];
  /**
   * Access control: users, tokens and what anonymous clients may do. Without it every client may do everything
   * under its client id, as in a plain Aedes (for a broker embedded in a trusted process; `startServer` and
   * `aiflow server start` always turn it on). @defaultValue null (off)
   */
  access?: BrokerAccessOptions | null;
}

export interface BrokerAccessOptions {
  /** SQLite file of users and tokens (created if missing). */
  file: string;
  /** Grants of clients that connect without a user name; null refuses them. @defaultValue null */
  anonymous?: readonly Grant[] | null;
  /** Most connections one identity (user, token or anonymous) may hold at once. @defaultValue 1000 */
  maxConnectionsPerIdentity?: number;
  /** Entries the audit trail keeps (in the same file); the oldest go first. @defaultValue 100000 */
  auditMaxEntries?: number;
}

// Room for the topic (at most 65,535 bytes) and headers beyond the payload limit, so that a payload slightly over
// the limit gets the precise PAYLOAD_TOO_LARGE reason while a huge one is cut before it is buffered.
const FRAME_SLACK_BYTES = 70 * 1024;

/** A running broker: the MQTT server, its durable event log and its request/reply service. */
export interface BrokerServer {
  readonly port: number;
  readonly wsPort: number | null;
  /** `mqtt://<host>:<port>`, `mqtts://` with TLS */
  readonly url: string;
  /** `ws://<host>:<wsPort>`, `wss://` with TLS; null without a WebSocket listener. */
  readonly wsUrl: string | null;
  /** Whether both listeners speak TLS. */
  readonly tls: boolean;
  readonly aedes: Aedes;
  readonly log: EventLog;
  /** The broker's Prometheus series. */
  readonly metrics: BrokerMetrics;
  /** Every listener (MQTT, and WebSocket if on) accepts connections. */
  readonly listening: boolean;
  /** A scheduler is connected and listening for requests. */
  readonly schedulerOnline: boolean;
  /** Closes every client, socket and the database file. Idempotent. */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions): Promise<BrokerServer> {
  const o = { ...BROKER_DEFAULTS, ...options };
  validatePort('port', o.port);
  if (o.wsPort !== null) validatePort('wsPort', o.wsPort);
  validatePositive('maxPayloadBytes', o.maxPayloadBytes);
  validatePositive('maxQueuedMessages', o.maxQueuedMessages);
  validatePositive('maxQueuedBytes', o.maxQueuedBytes);
  validatePositive('maxRetainedMessages', o.maxRetainedMessages);
  validatePositive('maxRetainedBytes', o.maxRetainedBytes);
  // Read and checked before anything is opened: a wrong file fails the start, not the first client.
  const tls = o.tls ? loadServerTls(o.tls) : null;
  const origins = new WebSocketOrigins(o.wsOrigins ?? [], tls !== null);
  const logger = options.logger ?? createLogger();
  const maxConnections = o.access?.maxConnectionsPerIdentity ?? DEFAULT_MAX_CONNECTIONS_PER_IDENTITY;
  validatePositive('maxConnectionsPerIdentity', maxConnections);
  const log = await EventLog.open(o.dbFile, { durability: o.durability, logger });
  const auditMaxEntries = o.access?.auditMaxEntries ?? DEFAULT_AUDIT_MAX_ENTRIES;
  validatePositive('auditMaxEntries', auditMaxEntries);
  let identities: IdentityStore | null = null;
  let auditLog: AuditLog | null = null;
  try {
    identities = o.access ? IdentityStore.open(o.access.file) : null;
    auditLog = o.access ? new AuditLog(o.access.file, auditMaxEntries) : null;
  } catch (error) {
    identities?.close();
    await log.close();
    throw error;
  }
  const audit = auditLog && { log: auditLog, trail: new AuditTrail(auditLog) };
  const refusedClients = new WeakSet<Client>();
  // Connections cut by the frame guard: the broker may still parse the chunk that tripped it, and must not act on it.
  const cutConnections = new WeakSet<object>();
  const access = new BrokerAccess(
    o.schedulerToken,
    o.schedulerLease,
    identities && {
      identities,
      anonymous: o.access?.anonymous ?? null,
      maxConnectionsPerIdentity: maxConnections,
    },
    o.taskKey ?? o.schedulerToken,
  );
  if (!identities) logger.debug('access control off: every client may do everything');
  const resends = new ResendFilter();
  const retained = new RetainedQuota(o.maxRetainedMessages, o.maxRetainedBytes);
  const outbound = new OutboundQueueLimit(
    o.maxQueuedMessages,
    o.maxQueuedBytes,
    (client, reason) => {
      logger.warn('slow consumer disconnected', { client: client.id, code: 'SLOW_CONSUMER', reason });
      client.close();
    },
    (client) => flushWrites(client.conn),
  );
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
  onQos2Released(aedes, (client, messageId) => resends.released(client, messageId));
  const metrics = new BrokerMetrics(aedes, log);
  const gateway = new EventGateway(aedes, log, logger, o.maxPayloadBytes, access, resends, metrics);
  const rpc = new RpcService(
    aedes,
    log,
    logger,
    access,
    o.maxPayloadBytes,
    o.schedulerCheckpoint ?? (async () => 0),
    identities,
    audit,
  );

  aedes.preConnect = (client, packet, callback) => {
    // [MQTT-3.1.3-8] an empty client id requires a clean session; refused in authenticate with return code 2.
    if (packet.clientId === '' && packet.clean === false) refusedClients.add(client);
    callback(null, true);
  };
  aedes.authenticate = (client, username, password, callback) => {
    if (refusedClients.has(client)) {
      logger.warn('connection refused: empty client id with a persistent session [MQTT-3.1.3-8]');
      return callback(Object.assign(new Error('identifier rejected'), { returnCode: 2 as const }), false);
    }
    access.authenticate(client, username, password, connectedClient(aedes, client.id)).then(
      (result) => {
        if (result.accepted) return callback(null, true);
        logger.warn('connection refused', { client: client.id, code: 'UNAUTHORIZED', reason: result.reason });
        audit?.trail.loginRefused(client, username || ANONYMOUS_NAME, result.reason);
        const message = result.returnCode === 4 ? 'bad user name or password' : 'not authorized';
        callback(Object.assign(new Error(message), { returnCode: result.returnCode }), false);
      },
      (error: unknown) => {
        logger.error('connection refused: authentication failed', { reason: (error as Error).message });
        callback(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
      },
    );
  };
  aedes.authorizePublish = (client, packet, callback) => {
    if (client === null) return callback(null);
    if (cutConnections.has(client.conn)) return callback(new Error('connection cut'));
    const privileged = access.isPrivileged(client);
    // The scheduler's answers to forwarded requests: their outcomes complete the audit trail.
    const answered = privileged && audit ? replyTopicOwner(packet.topic) : undefined;
    if (answered !== undefined)
      audit?.trail.replied(
        answered,
        typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      );
    switch (routePublish(packet.topic, privileged)) {
      case 'event':
        if (!audit) return gateway.accept(client, packet, callback);
        return gateway.accept(client, packet, (error) => {
          if (error instanceof AIFlowError && error.code === 'FORBIDDEN') {
            audit.trail.topicRefused({ caller: access.callerOf(client), client }, 'publish', packet.topic);
          }
          callback(error);
        });
      case 'rpc':
        packet.retain = false;
        rpc.handle(client, packet);
        return callback(null);
      case 'reserved':
        return gateway.reject(
          client,
          packet.topic,
          new AIFlowError('RESERVED_TOPIC', `topic ${packet.topic} is reserved for the server`),
          callback,
        );
      case 'system':
        return gateway.reject(
          client,
          packet.topic,
          new AIFlowError('RESERVED_TOPIC', `topic ${packet.topic} is reserved for the broker`),
          callback,
        );
      case 'plain':
        if (packet.retain) {
          try {
            retained.admit(packet.topic, payloadBytes(packet.payload));
          } catch (error) {
            return gateway.reject(client, packet.topic, toAIFlowError(error), callback);
          }
        }
        return callback(null);
    }
  };
  aedes.authorizeForward = (client, packet) => (outbound.admit(client, packet) ? packet : null);
  aedes.authorizeSubscribe = (client, subscription, callback) => {
    const privileged = access.isPrivileged(client);
    const refusal = !maySubscribe(subscription.topic, privileged)
      ? 'reserved for the server'
      : access.enforced
        ? subscribeRefusal(access.callerOf(client), client.id, subscription.topic)
        : null;
    if (refusal === null) {
      if (privileged && subscription.topic === SCHEDULER_RPC_TOPIC) access.schedulerSubscribed(client);
      return callback(null, subscription);
    }
    audit?.trail.topicRefused({ caller: access.callerOf(client), client }, 'subscribe', subscription.topic);
    logger.warn('subscription refused', {
      client: client.id,
      topic: subscription.topic,
      code: 'FORBIDDEN',
      reason: refusal,
    });
    callback(null, null);
  };
  aedes.on('client', (client) => {
    resends.connected(client);
    access.clientReady(client);
  });
  aedes.on('clientDisconnect', (client) => access.clientGone(client));
  aedes.on('clientError', (client, error) => {
    logger.warn('client error', { client: client.id, reason: error.message });
  });

  const maxPacketBytes = o.maxPayloadBytes + FRAME_SLACK_BYTES;
  /** Hands a connection's byte stream to Aedes, behind the frame guard. */
  const serve = (stream: Socket | Duplex, remote: string | undefined, request?: IncomingMessage) => {
    coalesceWrites(stream);
    aedes.handle(stream, request);
    // Attached after Aedes's 'readable' listener, so it observes the chunks Aedes reads without taking them.
    stream.on(
      'data',
      createFrameGuard(maxPacketBytes, (violation: FrameViolation) => {
        cutConnections.add(stream);
        logger.warn('connection cut', { remote, code: violation.code, reason: violation.reason });
        stream.destroy();
      }),
    );
  };
  const sockets = new Set<Socket>();
  // The high-water mark is the outbound bound: below it Aedes never waits for a connection to drain.
  const socketOptions = { noDelay: true, highWaterMark: o.maxQueuedBytes };
  const tcp = tls ? createTlsServer({ ...socketOptions, ...tls.listen }) : createTcpServer(socketOptions);
  // Every raw socket, TLS handshakes still under way included, so that close() can cut them all.
  tcp.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (!tls) serve(socket, socket.remoteAddress);
  });
  tcp.on('secureConnection', (socket: Socket) => {
    // Nagle's algorithm is per socket under TLS: the server option does not reach the TLS socket.
    socket.setNoDelay(true);
    serve(socket, socket.remoteAddress);
  });
  // OpenSSL's messages run over several lines; its code (ERR_SSL_WRONG_VERSION_NUMBER…) says the same in one word.
  const tlsRefused = (error: NodeJS.ErrnoException, socket: { remoteAddress?: string | undefined }) =>
    logger.warn('TLS connection refused', {
      remote: socket.remoteAddress,
      reason: error.code ?? error.message,
    });
  tcp.on('tlsClientError', tlsRefused);
  let http: HttpServer | HttpsServer | null = null;
  let wss: WebSocketServer | null = null;
  try {
    await listen(tcp, o.port, o.host, '--port or AIFLOW_PORT');
    if (o.wsPort !== null) {
      http = tls
        ? createHttpsServer(tls.listen, o.httpHandler ?? notFound)
        : createHttpServer(o.httpHandler ?? notFound);
      http.on('tlsClientError', tlsRefused);
      // The WebSocket server is attached once the port is held: it re-emits the HTTP server's errors.
      await listen(http, o.wsPort, o.host, '--ws-port or AIFLOW_WS_PORT');
      wss = new WebSocketServer({
        server: http,
        maxPayload: maxPacketBytes,
        // A refused upgrade is answered 403 before any MQTT byte is read.
        verifyClient: ({ req }, accept) => {
          const origin = origins.refused(req);
          if (origin === null) return accept(true);
          logger.warn('WebSocket upgrade refused', {
            remote: req.socket.remoteAddress,
            origin,
            reason: 'origin not allowed (see --ws-origin)',
          });
          accept(false, 403, 'Forbidden');
        },
      });
      wss.on('error', (error) => logger.error('WebSocket server error', { reason: error.message }));
      wss.on('connection', (ws, request) => {
        // A WebSocket message larger than maxPayload closes the socket, as the frame guard does for packets.
        const stream = createWebSocketStream(ws, { writableHighWaterMark: o.maxQueuedBytes });
        serve(stream, request.socket.remoteAddress, request);
      });
    }
  } catch (error) {
    const web = http;
    await closeAll(logger, [
      () => new Promise<void>((resolve) => aedes.close(() => resolve())),
      () => closeServer(tcp),
      () => web && closeServer(web),
      () => log.close(),
      () => identities?.close(),
      () => auditLog?.close(),
    ]);
    throw error;
  }

  const port = (tcp.address() as AddressInfo).port;
  const wsPort = http ? (http.address() as AddressInfo).port : null;
  const url = `${tls ? 'mqtts' : 'mqtt'}://${o.host}:${port}`;
  const wsUrl = wsPort === null ? null : `${tls ? 'wss' : 'ws'}://${o.host}:${wsPort}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= closeAll(logger, [
      () => new Promise<void>((resolve) => aedes.close(() => resolve())),
      async () => {
        const closed = closeServer(tcp);
        for (const socket of sockets) socket.destroy();
        await closed;
      },
      async () => {
        wss?.clients.forEach((ws) => ws.terminate());
        wss?.close();
        if (http) await closeServer(http);
      },
      () => log.close(),
      () => identities?.close(),
      () => auditLog?.close(),
    ]);
    return closing;
  };
  // Announced once the ports are known, as it names the addresses. A client that connects before it waits for it:
  // the retained message reaches its subscription when it is published.
  try {
    await announceServer(aedes, { url, wsUrl });
  } catch (error) {
    await close();
    throw error;
  }
  logger.info('broker listening', { url, ws: wsUrl ?? 'off', db: o.dbFile });
  const web = http;
  return {
    port,
    wsPort,
    url,
    wsUrl,
    tls: tls !== null,
    aedes,
    log,
    metrics,
    get listening() {
      return closing === undefined && tcp.listening && (web?.listening ?? true);
    },
    get schedulerOnline() {
      return access.schedulerOnline;
    },
    close,
  };
}

const notFound: RequestListener = (_request, response) => {
  response.writeHead(404).end();
};

function validatePort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AIFlowError('INVALID_OPTION', `${name} must be an integer from 0 to 65535, got ${port}`);
  }
}

function validatePositive(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new AIFlowError('INVALID_OPTION', `${name} must be a positive integer, got ${value}`);
  }
}

/** The registered client with this id (Aedes keeps them in `clients`, untyped). */
function connectedClient(aedes: Aedes, id: string): Client | undefined {
  return (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[id];
}

function payloadBytes(payload: Buffer | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}

/**
 * Calls `listener` on each PUBREL that completes an inbound QoS 2 message. Aedes has no hook for PUBREL, but its
 * handler deletes the message from the persistence's incoming store then; the persistence is a plug-in interface.
 */
function onQos2Released(aedes: Aedes, listener: (client: Client, messageId: number) => void): void {
  const persistence = (aedes as unknown as { persistence: IncomingStore }).persistence;
  const remove = persistence.incomingDelPacket.bind(persistence);
  persistence.incomingDelPacket = async (client, packet) => {
    await remove(client, packet);
    if (packet.messageId !== undefined) listener(client, packet.messageId);
  };
}

interface IncomingStore {
  incomingDelPacket(client: Client, packet: { messageId?: number }): Promise<void>;
}

function closeServer(server: TcpServer | HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

/** Runs every step even when one fails, and logs the failures. */
async function closeAll(logger: Logger, steps: (() => unknown)[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      logger.error('close step failed', { reason: (error as Error).message });
    }
  }
}
