import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AIFlowError } from '../protocol/errors.ts';
import { tlsFailure, type ClientTls } from './client-tls.ts';
import { checkAiflowServer } from './server-check.ts';

export interface ConnectOptions extends PlainConnectOptions {
  /** Longest wait for the server's announcement; the connection fails with NOT_AIFLOW_SERVER past it. */
  serverCheckTimeoutMs?: number;
}

export interface PlainConnectOptions extends IClientOptions {
  /** Certificates of an `mqtts://` or `wss://` connection. */
  tls?: ClientTls | undefined;
}

/**
 * Connects MQTT.js and disables Nagle's algorithm on every (re)connection: a request followed by its ack on one
 * socket otherwise waits for the peer's delayed ACK, adding about 40 ms to each round trip.
 * Rejects with SERVER_NOT_RUNNING if the first connection fails, TLS_FAILED if its TLS handshake fails (an
 * untrusted server certificate, say), NOT_AIFLOW_SERVER if the broker is not an aiflow server; later drops
 * reconnect on their own.
 */
export async function connectMqtt(url: string, options: ConnectOptions): Promise<MqttClient> {
  const client = await connectPlainMqtt(url, options);
  try {
    await checkAiflowServer(client, url, options.serverCheckTimeoutMs);
  } catch (error) {
    client.end(true);
    throw error;
  }
  return client;
}

/** The same connection without the aiflow-server check: for plain MQTT clients of any broker (benchmarks). */
export function connectPlainMqtt(url: string, options: PlainConnectOptions): Promise<MqttClient> {
  const { tls, ...mqttOptions } = options;
  return new Promise((resolve, reject) => {
    // MQTT.js hands ca, cert and key to the TLS socket, and to the WebSocket of a wss:// URL. A `ca` certificate
    // that is not self-signed (an intermediate, or a server's own certificate) is trusted as given, as curl does.
    const trust = tls?.ca === undefined ? {} : { allowPartialTrustChain: true };
    const client = mqtt.connect(url, {
      ...mqttOptions,
      ...tls,
      ...trust,
      wsOptions: { ...mqttOptions.wsOptions, ...trust },
      reconnectPeriod: 0,
    });
    const noDelay = () => {
      const stream = client.stream as { setNoDelay?: (on: boolean) => void } | undefined;
      stream?.setNoDelay?.(true);
    };
    client.on('connect', noDelay);
    const fail = (error: Error) => {
      client.removeListener('connect', ready);
      client.end(true);
      // CONNACK 4 (bad user name or password) or 5 (not authorized).
      const code = (error as { code?: unknown }).code;
      if (code === 4 || code === 5) {
        return reject(
          new AIFlowError('UNAUTHORIZED', `${url} refused the login: ${error.message}`, { cause: error }),
        );
      }
      reject(
        tlsFailure(url, error) ??
          new AIFlowError('SERVER_NOT_RUNNING', `cannot connect to ${url}: ${error.message}`, {
            cause: error,
          }),
      );
    };
    const ready = () => {
      client.removeListener('error', fail);
      client.removeListener('close', closedEarly);
      client.options.reconnectPeriod = options.reconnectPeriod ?? 1000;
      resolve(client);
    };
    const closedEarly = () => fail(new Error('connection closed'));
    client.once('error', fail);
    client.once('close', closedEarly);
    client.once('connect', ready);
  });
}
