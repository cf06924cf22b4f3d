import type { MqttClient } from 'mqtt';
import { AIFlowError } from '../protocol/errors.ts';
import { decodeServerInfo, notAiflowServer, type ServerInfo } from '../protocol/server-info.ts';
import { SERVER_INFO_TOPIC } from '../protocol/topics.ts';

/** How long the server's announcement may take after the subscription is granted. */
export const SERVER_CHECK_TIMEOUT_MS = 1_000;

/**
 * Checks that the broker behind `client` is an aiflow server: it reads the retained announcement on
 * `$aiflow/server`. Another broker (a Mosquitto on the same port, say) grants the subscription and sends nothing,
 * so the check fails fast with NOT_AIFLOW_SERVER instead of every request waiting for a TIMEOUT.
 */
export async function checkAiflowServer(
  client: MqttClient,
  url: string,
  timeoutMs: number = SERVER_CHECK_TIMEOUT_MS,
): Promise<ServerInfo> {
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  let onClose: (() => void) | undefined;
  // A connection that drops during the check fails it at once: MQTT.js would otherwise hold the subscription
  // until a reconnection that may never come.
  const closed = new Promise<never>((_, reject) => {
    onClose = () =>
      reject(
        new AIFlowError('CONNECTION_LOST', `the connection to ${url} closed before the server answered`),
      );
    client.once('close', onClose);
  });
  closed.catch(() => undefined);
  const announced = new Promise<Buffer>((resolve) => {
    onMessage = (topic, payload) => {
      if (topic === SERVER_INFO_TOPIC) resolve(payload);
    };
    client.on('message', onMessage);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const granted = await Promise.race([client.subscribeAsync(SERVER_INFO_TOPIC, { qos: 0 }), closed]);
    if (granted.some((g) => g.qos === 128)) throw notAiflowServer(url);
    const expired = new Promise<null>((resolve) => {
      // The time-out counts from the grant. When it fires, let the loop read what already arrived: on a busy
      // machine the timer phase can run before the socket's pending data is processed.
      timer = setTimeout(() => setImmediate(() => setImmediate(() => resolve(null))), timeoutMs);
    });
    const payload = await Promise.race([announced, expired, closed]);
    if (payload === null) throw notAiflowServer(url);
    return decodeServerInfo(payload, url);
  } finally {
    clearTimeout(timer);
    if (onMessage) client.removeListener('message', onMessage);
    if (onClose) client.removeListener('close', onClose);
    client.unsubscribeAsync(SERVER_INFO_TOPIC).catch(() => undefined);
  }
}
