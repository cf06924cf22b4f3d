import { cliLogin } from './login.ts';

/** Connects to the server, calls one scheduler method and always closes the connection. */
export async function callScheduler<T>(
  server: string,
  method: string,
  params: Record<string, unknown>,
): Promise<T> {
  // Loaded on the first call: `aiflow --version` and `--help` need no MQTT client.
  const { SchedulerClient } = await import('../client/scheduler-client.ts');
  const client = await SchedulerClient.connect({ server, credentials: cliLogin() });
  try {
    return await client.call<T>(method, params);
  } finally {
    await client.close();
  }
}
