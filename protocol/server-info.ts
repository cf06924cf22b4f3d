import { AIFlowError } from './errors.ts';

/** The product name a server announces; a broker that does not announce it is not an aiflow server. */
export const SERVER_PRODUCT = 'aiflow-mqtt';
/** Bumped when the wire contract changes in a way old clients cannot follow. */
export const PROTOCOL_VERSION = 1;

/**
 * What the server announces as a retained message on `$aiflow/server` (see `SERVER_INFO_TOPIC`), so that a client
 * can tell an aiflow server from any other MQTT broker on the same address before it sends anything.
 */
export interface ServerInfo {
  product: typeof SERVER_PRODUCT;
  /** The server's package version. */
  version: string;
  protocol: number;
  /** When this server process started (ms since the epoch). */
  startTime: number;
  /** The server's MQTT address as it listens: `mqtt://host:port`, `mqtts://` with TLS (absent from older servers). */
  url?: string;
  /** Its MQTT-over-WebSocket address (`ws://`, `wss://` with TLS); null without one (absent from older servers). */
  wsUrl?: string | null;
}

export function encodeServerInfo(info: ServerInfo): Buffer {
  return Buffer.from(JSON.stringify(info));
}

/** Parses an announcement; throws NOT_AIFLOW_SERVER for anything another broker (or client) might have left there. */
export function decodeServerInfo(payload: Buffer, url: string): ServerInfo {
  let info: Partial<ServerInfo>;
  try {
    info = JSON.parse(payload.toString('utf8')) as Partial<ServerInfo>;
  } catch {
    throw notAiflowServer(url);
  }
  if (info.product !== SERVER_PRODUCT || typeof info.protocol !== 'number') throw notAiflowServer(url);
  if (info.protocol !== PROTOCOL_VERSION) {
    throw new AIFlowError(
      'NOT_AIFLOW_SERVER',
      `${url} speaks aiflow protocol ${info.protocol}, this client speaks ${PROTOCOL_VERSION}: upgrade the older side`,
    );
  }
  return info as ServerInfo;
}

export function notAiflowServer(url: string): AIFlowError {
  return new AIFlowError('NOT_AIFLOW_SERVER', `${url} answers MQTT but is not an aiflow server`);
}
