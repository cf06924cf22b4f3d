/**
 * Environment variables through which a task process (or any program) configures the SDK and the CLI.
 * The scheduler sets them for every task execution, so code inside a task needs no arguments.
 */
export const RUNTIME_ENV = {
  /** MQTT URL of the server, e.g. `mqtt://localhost:1883`. */
  server: 'AIFLOW_SERVER',
  /** Namespace of the events sent and listened to. */
  namespace: 'AIFLOW_NAMESPACE',
  /** Sender recorded on events sent. */
  sender: 'AIFLOW_SENDER',
  /** Context recorded on events sent (JSON; inside a task it names the workflow execution). */
  context: 'AIFLOW_CONTEXT',
  /** PEM file of the certificate authorities to trust for `mqtts://` and `wss://` (Node only). */
  ca: 'AIFLOW_CA',
  /** PEM file of a client certificate, for a server that requires one (with `certKey`). */
  cert: 'AIFLOW_CERT',
  /** PEM file of the client certificate's private key. */
  certKey: 'AIFLOW_CERT_KEY',
  /** MQTT user name (a user's, or a token's name). */
  username: 'AIFLOW_USERNAME',
  /** Password of that user, or the token. */
  password: 'AIFLOW_PASSWORD',
  /** The server's data folder, whose `admin.credential` the SDK and CLI read when given no login. */
  home: 'AIFLOW_HOME',
} as const;

export const DEFAULT_SERVER_URL = 'mqtt://localhost:1883';

export function fromEnv(
  name: keyof typeof RUNTIME_ENV,
  // A browser has no `process`: nothing is set there.
  env: NodeJS.ProcessEnv = globalThis.process?.env ?? {},
): string | undefined {
  const value = env[RUNTIME_ENV[name]];
  return value === undefined || value === '' ? undefined : value;
}
