/**
 * Stable error codes. Callers and tests branch on `code`, never on the message.
 * The README lists every code with its meaning.
 */
export const ERROR_CODES = [
  'INVALID_TOPIC',
  'INVALID_NAMESPACE',
  'INVALID_KEY',
  'PAYLOAD_TOO_LARGE',
  'PACKET_TOO_LARGE',
  'INVALID_PAYLOAD',
  'RESERVED_TOPIC',
  'RETAINED_LIMIT',
  'SLOW_CONSUMER',
  'INVALID_REQUEST',
  'UNKNOWN_METHOD',
  'STORAGE_FAILED',
  'TIMEOUT',
  'CLIENT_CLOSED',
  'CONNECTION_LOST',
  'INVALID_OPTION',
  'PORT_IN_USE',
  'SERVER_NOT_RUNNING',
  'NOT_AIFLOW_SERVER',
  'TLS_FAILED',
  'SERVER_ALREADY_RUNNING',
  'INVALID_WORKFLOW',
  'INVALID_SCHEDULE',
  'SCHEDULER_NOT_RUNNING',
  'SCHEDULER_RUNNING',
  'SCHEDULER_LEASE_LOST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CONFLICT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one error class of the product: a stable `code`, a one-line message and an optional cause. */
export class AIFlowError extends Error {
  override readonly name = 'AIFlowError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The wire form used in RPC replies. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Wraps anything thrown into an AIFlowError, keeping a known code. */
export function toAIFlowError(error: unknown, fallback: ErrorCode = 'INTERNAL'): AIFlowError {
  if (error instanceof AIFlowError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AIFlowError(fallback, message, { cause: error });
}
