import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { Aedes, type Client } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import { SCHEDULER_RPC_TOPIC } from '../protocol/topics.ts';
import { BrokerAccess, type SchedulerLeaseSource } from './access.ts';
import { EventGateway } from './event-gateway.ts';
import { EventLog } from './event-log.ts';
import { createFrameGuard } from './frame-guard.ts';
import { createLogger, type Logger } from './logger.ts';
import { RpcService } from './rpc-service.ts';
import { announceServer } from './server-info.ts';
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
  /**
   * The scheduler lease's current fencing token: when set, the scheduler's password is `<token>:<secret>` and only
   * the current token is accepted. @defaultValue null (the password is the scheduler token alone)
   */
  schedulerLease?: SchedulerLeaseSource | null;
}

export const BROKER_DEFAULTS = {
  port: 1883,
  host: '127.0.0.1',
  wsPort: null,
  maxPayloadBytes: LIMITS.defaultMaxPayloadBytes,
  durability: 'full',
  schedulerToken: null,
  schedulerLease: null,
} as const;

// Room for the topic (at most 65,535 bytes) and headers beyond the payload limit, so that a payload slightly over
// the limit gets the precise PAYLOAD_TOO_LARGE reason while a huge one is cut before it is buffered.
const FRAME_SLACK_BYTES = 70 * 1024;

/** A running broker: the MQTT server, its durable event log and its request/reply service. */
export interface BrokerServer {
  readonly port: number;
  readonly wsPort: number | null;
  /** `mqtt://<host>:<port>` */
  readonly url: string;
  readonly aedes: Aedes;
  readonly log: EventLog;
  /** Closes every client, socket and the database file. Idempotent. */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions): Promise<BrokerServer> {
  const o = { ...BROKER_DEFAULTS, ...options };
  validatePort('port', o.port);
  if (o.wsPort !== null) validatePort('wsPort', o.wsPort);
  if (!Number.isSafeInteger(o.maxPayloadBytes) || o.maxPayloadBytes < 1) {
    throw new AIFlowError(
      'INVALID_OPTION',
      `maxPayloadBytes must be a positive integer, got ${o.maxPayloadBytes}`,
    );
  }
  const logger = options.logger ?? createLogger();
  const log = await EventLog.open(o.dbFile, { durability: o.durability, logger });
  const refusedClients = new WeakSet<Client>();
  const access = new BrokerAccess(o.schedulerToken, o.schedulerLease);
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
  const gateway = new EventGateway(aedes, log, logger, o.maxPayloadBytes, access);
  const rpc = new RpcService(aedes, log, logger, access, o.maxPayloadBytes);

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
    access.authenticate(client, username, password).then(
      (result) => {
        if (result.accepted) return callback(null, true);
        logger.warn('connection refused', { client: client.id, reason: result.reason });
        callback(Object.assign(new Error('bad user name or password'), { returnCode: 4 as const }), false);
      },
      (error: unknown) => {
        logger.error('connection refused: authentication failed', { reason: (error as Error).message });
        callback(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
      },
    );
  };
  aedes.authorizePublish = (client, packet, callback) => {
    if (client === null) return callback(null);
    switch (routePublish(packet.topic, access.isPrivileged(client))) {
      case 'event':
        return gateway.accept(client, packet, callback);
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
      case 'plain':
        return callback(null);
    }
  };
  aedes.authorizeSubscribe = (client, subscription, callback) => {
    const privileged = access.isPrivileged(client);
    if (maySubscribe(subscription.topic, privileged)) {
      if (privileged && subscription.topic === SCHEDULER_RPC_TOPIC) access.schedulerSubscribed(client);
      return callback(null, subscription);
    }
    logger.warn('subscription refused', { client: client.id, topic: subscription.topic });
    callback(null, null);
  };
  aedes.on('clientDisconnect', (client) => access.clientGone(client));
  aedes.on('clientError', (client, error) => {
    logger.warn('client error', { client: client.id, reason: error.message });
  });

  await announceServer(aedes);

  const maxPacketBytes = o.maxPayloadBytes + FRAME_SLACK_BYTES;
  const sockets = new Set<Socket>();
  const tcp = createTcpServer({ noDelay: true }, (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
    // Attached after Aedes's 'readable' listener, so it observes the chunks Aedes reads without taking them.
    socket.on(
      'data',
      createFrameGuard(maxPacketBytes, (declared) => {
        logger.warn('connection cut: packet too large', {
          remote: socket.remoteAddress,
          code: 'PACKET_TOO_LARGE',
          reason: `packet of ${declared} bytes exceeds ${maxPacketBytes}`,
        });
        socket.destroy();
      }),
    );
  });
  let http: HttpServer | null = null;
  let wss: WebSocketServer | null = null;
  try {
    await listen(tcp, o.port, o.host);
    if (o.wsPort !== null) {
      http = createHttpServer();
      wss = new WebSocketServer({ server: http, maxPayload: maxPacketBytes });
      wss.on('connection', (ws, request) => {
        // A WebSocket message larger than maxPayload closes the socket, as the TCP frame guard does.
        aedes.handle(createWebSocketStream(ws), request);
      });
      await listen(http, o.wsPort, o.host);
    }
  } catch (error) {
    tcp.close();
    http?.close();
    aedes.close();
    await log.close();
    throw error;
  }

  const port = (tcp.address() as AddressInfo).port;
  const wsPort = http ? (http.address() as AddressInfo).port : null;
  logger.info('broker listening', { url: `mqtt://${o.host}:${port}`, ws: wsPort ?? 'off', db: o.dbFile });

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
    ]);
    return closing;
  };
  return { port, wsPort, url: `mqtt://${o.host}:${port}`, aedes, log, close };
}

function validatePort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AIFlowError('INVALID_OPTION', `${name} must be an integer from 0 to 65535, got ${port}`);
  }
}

async function listen(server: TcpServer | HttpServer, port: number, host: string): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AIFlowError(
        'PORT_IN_USE',
        `port ${port} on ${host} is already in use (another MQTT broker?); choose another with --port or AIFLOW_PORT`,
        { cause: error },
      );
    }
    throw toAIFlowError(error, 'INTERNAL');
  }
}

function closeServer(server: TcpServer | HttpServer): Promise<void> {
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
