import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AIFlowError } from '../protocol/errors.ts';
import { checkAiflowServer } from './server-check.ts';

export interface ConnectOptions extends IClientOptions {
  /** Longest wait for the server's announcement; the connection fails with NOT_AIFLOW_SERVER past it. */
  serverCheckTimeoutMs?: number;
}

/**
 * Connects MQTT.js and disables Nagle's algorithm on every (re)connection: a request followed by its ack on one
 * socket otherwise waits for the peer's delayed ACK, adding about 40 ms to each round trip.
 * Rejects with SERVER_NOT_RUNNING if the first connection fails, NOT_AIFLOW_SERVER if the broker is not an aiflow
 * server; later drops reconnect on their own.
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
export function connectPlainMqtt(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { ...options, reconnectPeriod: 0 });
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
        new AIFlowError('SERVER_NOT_RUNNING', `cannot connect to ${url}: ${error.message}`, { cause: error }),
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
