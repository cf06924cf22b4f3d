import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SERVER_URL, RUNTIME_ENV } from '../protocol/runtime-env.ts';
import { DEFAULT_NAMESPACE } from '../protocol/topics.ts';
import { OUTPUT_FORMATS } from './output.ts';

/** MQTT over WebSocket, as Mosquitto's usual setup. */
export const DEFAULT_WS_PORT = 9001;

/** Options shared by every client command, with the same names and environment variables everywhere. */
export const serverOption = () =>
  new Option('-s, --server <url>', 'MQTT URL of the server')
    .env(RUNTIME_ENV.server)
    .default(DEFAULT_SERVER_URL);

export const namespaceOption = () =>
  new Option('-n, --namespace <name>', 'namespace').env(RUNTIME_ENV.namespace).default(DEFAULT_NAMESPACE);

export const outputOption = () =>
  new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table');

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a non-negative integer.');
  }
  return n;
}

export function parsePort(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535.');
  return n;
}

/** Accepts an ISO 8601 date-time or milliseconds since the epoch. */
export function parseTime(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError('expected an ISO 8601 time (2026-01-31T12:00:00Z) or milliseconds.');
  }
  return ms;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
