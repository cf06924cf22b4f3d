import type { RequestArgs, RequestMethod, RequestResult } from '../protocol/request-methods.ts';
import { cliClientTls, type ServerCliOptions } from './client-tls-options.ts';
import { cliLogin } from './login.ts';

/**
 * Connects to the server (an address, or the options of a command: address and certificates), calls one method and
 * always closes the connection.
 */
export async function callScheduler<M extends RequestMethod>(
  target: string | ServerCliOptions,
  method: M,
  ...params: RequestArgs<M>
): Promise<RequestResult<M>> {
  const options = typeof target === 'string' ? { server: target } : target;
  // Loaded on the first call: `aiflow --version` and `--help` need no MQTT client.
  const { SchedulerClient } = await import('../client/scheduler-client.ts');
  const client = await SchedulerClient.connect({
    server: options.server,
    tls: cliClientTls(options),
    credentials: cliLogin(),
  });
  try {
    return await client.call(method, ...params);
  } finally {
    await client.close();
  }
}
