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
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
