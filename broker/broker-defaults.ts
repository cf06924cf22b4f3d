import { LIMITS } from '../protocol/limits.ts';

/** Defaults of `BrokerOptions` (its own module: the CLI shows them without loading the broker). */
export const BROKER_DEFAULTS = {
  port: 1883,
  host: '127.0.0.1',
  wsPort: null,
  maxPayloadBytes: LIMITS.defaultMaxPayloadBytes,
  durability: 'full',
  schedulerToken: null,
  taskKey: null,
  schedulerLease: null,
  schedulerCheckpoint: null,
  maxQueuedMessages: 10_000,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxRetainedMessages: 10_000,
  maxRetainedBytes: 16 * 1024 * 1024,
} as const;

/** Connections one identity may hold when `access.maxConnectionsPerIdentity` is not given. */
export const DEFAULT_MAX_CONNECTIONS_PER_IDENTITY = 1000;
/** Rows the audit trail keeps; older ones are deleted as new ones come. */
export const DEFAULT_AUDIT_MAX_ENTRIES = 100_000;
