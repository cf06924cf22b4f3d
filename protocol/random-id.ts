/**
 * A random RFC 4122 version-4 UUID from the Web Crypto API, which Node and browsers both provide (no `node:crypto`,
 * so the client bundles for a browser). Browsers offer `randomUUID` only on secure (https) pages; elsewhere the
 * id is made from `getRandomValues`, which they always offer.
 */
export function randomId(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return uuidText(bytes);
}

/** Milliseconds and counter of the last time-ordered id made here: ids made in one millisecond count up. */
let last = { ms: 0, counter: 0 };

/**
 * A time-ordered RFC 9562 version-7 UUID: 48 bits of Unix milliseconds, 12 bits counting the ids made here in the
 * same millisecond, then 62 random bits; ids made here sort in the order they were made, even if the clock steps
 * back. For idempotency ids: the event log keeps them in a unique index, where random ids land on random pages (a
 * commit of 200 events then writes some 200 index pages) and time-ordered ones at its end (`bench/idempotency-
 * ids.bench.ts`).
 */
export function timeOrderedId(): string {
  const now = Date.now();
  if (now > last.ms) last = { ms: now, counter: 0 };
  else if (last.counter < 0xfff) last = { ms: last.ms, counter: last.counter + 1 };
  else last = { ms: last.ms + 1, counter: 0 };
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  let ms = last.ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (last.counter >> 8);
  bytes[7] = last.counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return uuidText(bytes);
}

function uuidText(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
