import type { RequestArgs, RequestMethod, RequestResult } from '../protocol/request-methods.ts';

/** Connects to the server, calls one method and always closes the connection. */
export async function callScheduler<M extends RequestMethod>(
  server: string,
  method: M,
  ...params: RequestArgs<M>
): Promise<RequestResult<M>> {
  // Loaded on the first call: `aiflow --version` and `--help` need no MQTT client.
  const { SchedulerClient } = await import('../client/scheduler-client.ts');
  const client = await SchedulerClient.connect({ server });
  try {
    return await client.call(method, ...params);
  } finally {
    await client.close();
  }
}
