import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { Server as TcpServer } from 'node:net';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';

/**
 * Listens on `port` and resolves once the server is listening; a taken port is `PORT_IN_USE`, naming the `option`
 * that picks another, never a raw EADDRINUSE.
 */
export async function listen(
  server: TcpServer | HttpServer,
  port: number,
  host: string,
  option: string,
): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AIFlowError(
        'PORT_IN_USE',
        `port ${port} on ${host} is already in use (another server?); choose another with ${option}`,
        { cause: error },
      );
    }
    throw toAIFlowError(error, 'INTERNAL');
  }
}
