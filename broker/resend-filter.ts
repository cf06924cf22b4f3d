import type { Client, PublishPacket } from 'aedes';

/** The append of one publish: resolves once stored, rejects if storing failed. */
export type Stored = Promise<unknown>;

interface Entry {
  topic: string;
  stored: Stored;
}

/** What one MQTT session remembers of the publishes it stored, by packet id. */
class SessionPackets {
  /** QoS 2 publishes stored and not yet released by PUBREL. */
  readonly awaitingRelease = new Map<number, Entry>();
  /** The most recent QoS 1 publishes, oldest first. */
  readonly recent = new Map<number, Entry>();
}

/** How many recent QoS 1 packet ids a session remembers: well above any client's window of unacked publishes. */
export const RECENT_PACKET_IDS = 1024;
/** How many persistent sessions are remembered at once; the least recently used is forgotten first. */
export const REMEMBERED_SESSIONS = 10_000;

/**
 * Recognises resends of publishes already stored, keyed by (session, packet id), so that each is stored once:
 * - QoS 2: any PUBLISH with the id of one stored and not yet released is the same message until PUBREL
 *   [MQTT-4.3.3-2] (Aedes asks `authorizePublish` again for each resend, before it looks at its own store);
 * - QoS 1, persistent session: a PUBLISH with DUP set [MQTT-3.3.1-1] whose id and topic match a recent one of the
 *   same session was already stored (its PUBACK was lost); a PUBLISH without DUP is always new, as the sender may
 *   reuse an id once it has its PUBACK [MQTT-2.3.1-6].
 * A clean session's memory ends with its connection; a persistent session's survives reconnects and ends when the
 * client id connects with a clean session [MQTT-3.1.2-6].
 */
export class ResendFilter {
  readonly #cleanSessions = new WeakMap<Client, SessionPackets>();
  readonly #persistentSessions = new Map<string, SessionPackets>();

  /** The stored original that this publish resends, if it is a resend. */
  original(client: Client, packet: PublishPacket): Stored | undefined {
    const id = packet.messageId;
    if (id === undefined || !this.#tracked(client, packet)) return undefined;
    if (packet.qos === 1 && !packet.dup) return undefined;
    const session = this.#session(client, false);
    const entry = packet.qos === 2 ? session?.awaitingRelease.get(id) : session?.recent.get(id);
    return entry && entry.topic === packet.topic ? entry.stored : undefined;
  }

  /** Remembers a publish being stored. */
  remember(client: Client, packet: PublishPacket, stored: Stored): void {
    const id = packet.messageId;
    if (id === undefined || !this.#tracked(client, packet)) return;
    const session = this.#session(client, true)!;
    const entries = packet.qos === 2 ? session.awaitingRelease : session.recent;
    entries.delete(id); // re-inserted as the most recent
    entries.set(id, { topic: packet.topic, stored });
    if (entries === session.recent && entries.size > RECENT_PACKET_IDS) {
      entries.delete(entries.keys().next().value!);
    }
  }

  /** Storing a remembered publish failed: a resend must be stored, not acknowledged. */
  forget(client: Client, packet: PublishPacket, stored: Stored): void {
    const id = packet.messageId;
    if (id === undefined || !this.#tracked(client, packet)) return;
    const session = this.#session(client, false);
    const entries = packet.qos === 2 ? session?.awaitingRelease : session?.recent;
    if (entries?.get(id)?.stored === stored) entries.delete(id);
  }

  /** PUBREL: the QoS 2 message with this id is complete; the id may now name a new message. */
  released(client: Client, messageId: number): void {
    this.#session(client, false)?.awaitingRelease.delete(messageId);
  }

  /** A client connected: a clean session starts with no memory of earlier sessions of its client id. */
  connected(client: Client): void {
    if (client.clean) this.#persistentSessions.delete(client.id);
  }

  /**
   * QoS 2 publishes always; QoS 1 only in persistent sessions: a sender resends QoS 1 publishes only when it
   * resumes a session [MQTT-4.4.0-1], and a clean session starts with none.
   */
  #tracked(client: Client, packet: PublishPacket): boolean {
    return packet.qos === 2 || (packet.qos === 1 && !client.clean);
  }

  #session(client: Client, create: boolean): SessionPackets | undefined {
    if (client.clean) {
      let session = this.#cleanSessions.get(client);
      if (!session && create) this.#cleanSessions.set(client, (session = new SessionPackets()));
      return session;
    }
    const sessions = this.#persistentSessions;
    let session = sessions.get(client.id);
    if (session) sessions.delete(client.id);
    else if (create) session = new SessionPackets();
    if (!session) return undefined;
    sessions.set(client.id, session); // most recently used last
    if (sessions.size > REMEMBERED_SESSIONS) sessions.delete(sessions.keys().next().value!);
    return session;
  }
}
