/** Limits of the wire contract. The README documents each one. */
export const LIMITS = {
  /** A namespace: letters, digits, `_`, `-`, `.`; 1 to 64 characters. */
  // `.` and `..` are refused, so that a namespace is always usable as a file name.
  namespacePattern: /^(?!\.\.?$)[A-Za-z0-9_.-]{1,64}$/,
  namespaceMaxLength: 64,
  /** A key: 1 to 512 bytes of UTF-8, never `+`, `#` or NUL. */
  keyMaxBytes: 512,
  /** Default largest event payload (value) in bytes; the server can be configured otherwise. */
  defaultMaxPayloadBytes: 256 * 1024,
  /** Largest page of a list query. */
  maxListLimit: 10_000,
  defaultListLimit: 1_000,
  /** Most events in one `events.sendBatch` request. */
  maxSendBatch: 1_000,
} as const;
