import type { Caller } from '../protocol/access-roles.ts';

/**
 * The `sender` stored with an event. With access control on, it is the authenticated identity; a sender the client
 * supplies is kept only as a label after it (`alice (label: pump-3)`), so no client can pass for another. The
 * client id and the identity's own name add nothing and are dropped. Off, it is what the client says, else its
 * client id.
 */
export function stampSender(caller: Caller | null, clientId: string, supplied: string | undefined): string {
  if (caller === null) return supplied ?? clientId;
  if (supplied === undefined || supplied === caller.name || supplied === clientId) return caller.name;
  return `${caller.name} (label: ${supplied})`;
}
