import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '../broker/listen.ts';
import { AIFlowError } from '../protocol/errors.ts';

/** A plain HTTP listener (metrics and health without the WebSocket port); `close()` is idempotent. */
export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

export function validateHttpPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AIFlowError('INVALID_OPTION', `httpPort must be an integer from 0 to 65535, got ${port}`);
  }
}

export async function listenHttp(
  port: number,
  host: string,
  handler: RequestListener,
): Promise<HttpListener> {
  validateHttpPort(port);
  const server: Server = createServer(handler);
  await listen(server, port, host, '--http-port or AIFLOW_HTTP_PORT');
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
