import type { Aedes } from 'aedes';
import {
  encodeServerInfo,
  PROTOCOL_VERSION,
  SERVER_PRODUCT,
  type ServerInfo,
} from '../protocol/server-info.ts';
import { SERVER_INFO_TOPIC } from '../protocol/topics.ts';
import { PACKAGE_VERSION } from '../protocol/version.ts';

/**
 * Leaves the server's announcement as a retained message, so that a client checks on connect that it reached an
 * aiflow server (and not another broker on the same port) with one subscription, no request.
 */
export function announceServer(aedes: Aedes, addresses: Pick<ServerInfo, 'url' | 'wsUrl'>): Promise<void> {
  const payload = encodeServerInfo({
    product: SERVER_PRODUCT,
    version: PACKAGE_VERSION,
    protocol: PROTOCOL_VERSION,
    startTime: Date.now(),
    ...addresses,
  });
  return new Promise((resolve, reject) =>
    aedes.publish(
      { cmd: 'publish', topic: SERVER_INFO_TOPIC, payload, qos: 0, retain: true, dup: false },
      (error) => (error ? reject(error) : resolve()),
    ),
  );
}
