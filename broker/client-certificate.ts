import { TLSSocket } from 'node:tls';
import type { Client } from 'aedes';

/**
 * The common name (CN) of the certificate a client presented on a TLS connection (`mqtts://`, or `wss://` through
 * its HTTP upgrade request), once the server verified it against its `--tls-ca`; null on a plain connection or
 * without a verified certificate. The broker only exposes it: which user a name stands for is the identity layer's
 * decision.
 */
export function clientCertificateName(client: Pick<Client, 'conn' | 'req'>): string | null {
  const socket = client.req?.socket ?? client.conn;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return null;
  const name = socket.getPeerCertificate().subject?.CN;
  // A certificate may repeat CN; Node then gives an array, and no single name is the client's.
  return typeof name === 'string' && name !== '' ? name : null;
}
