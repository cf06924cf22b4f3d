import type { PublishPacket } from 'aedes';
import { EVENT_FEED_TOPIC } from '../protocol/topics.ts';

/** Events per feed message at most: a commit of many thousand events goes as a few messages of bounded size. */
const MAX_FEED_EVENTS = 500;

/**
 * The feed messages of one commit: its envelopes (already encoded for the per-topic fan-out) as JSON arrays, in
 * offset order. One message per commit instead of one per event is what makes a reader of every namespace cheap
 * for the broker (one delivery, one acknowledgement) and for itself (one packet to parse).
 */
export function feedPackets(envelopes: readonly Buffer[]): PublishPacket[] {
  const packets: PublishPacket[] = [];
  for (let start = 0; start < envelopes.length; start += MAX_FEED_EVENTS) {
    packets.push({
      cmd: 'publish',
      topic: EVENT_FEED_TOPIC,
      payload: jsonArray(envelopes.slice(start, start + MAX_FEED_EVENTS)),
      qos: 1,
      retain: false,
      dup: false,
    });
  }
  return packets;
}

const OPEN_BRACKET = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_BRACKET = Buffer.from(']');

/** Encoded JSON values as one JSON array, without decoding them again. */
function jsonArray(values: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN_BRACKET];
  values.forEach((value, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(value);
  });
  parts.push(CLOSE_BRACKET);
  return Buffer.concat(parts);
}
