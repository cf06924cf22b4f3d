import { isUtf8 } from 'node:buffer';

/** Why a connection must be cut at the framing level. */
export interface FrameViolation {
  code: 'PACKET_TOO_LARGE' | 'INVALID_TOPIC';
  reason: string;
}

const PUBLISH = 3;

/**
 * Watches the MQTT framing of an inbound byte stream, and reports the first packet the broker must not read:
 * - a packet whose declared size exceeds `maxPacketBytes`, as soon as its fixed header arrives, so that the
 *   connection can be cut before the broker buffers it (Aedes has no packet size limit of its own);
 * - a PUBLISH whose topic is not well-formed UTF-8 [MQTT-1.5.3-1]: the parser decodes topics to strings, replacing
 *   bad bytes by U+FFFD, so only the raw bytes can tell (a topic may contain U+FFFD itself).
 * It sees each chunk before the broker parses it (a 'data' listener runs inside the broker's `read()`).
 */
export function createFrameGuard(
  maxPacketBytes: number,
  onViolation: (violation: FrameViolation) => void,
): (chunk: Buffer) => void {
  // State across chunks: where in the current packet the next byte falls.
  let phase: 'type' | 'length' | 'topicLength' | 'topic' | 'skip' = 'type';
  let type = 0;
  let length = 0;
  let multiplier = 1;
  let remaining = 0;
  let topicLength = 0;
  let topicLengthBytes = 0;
  let topicParts: Buffer[] = [];
  let topicHave = 0;
  let tripped = false;

  const trip = (violation: FrameViolation) => {
    tripped = true;
    onViolation(violation);
  };

  return (chunk) => {
    let i = 0;
    while (i < chunk.length && !tripped) {
      switch (phase) {
        case 'type':
          // First byte: packet type and flags; the remaining length follows. [MQTT-2.2]
          type = chunk[i]! >> 4;
          i += 1;
          length = 0;
          multiplier = 1;
          phase = 'length';
          break;
        case 'length': {
          const byte = chunk[i]!;
          i += 1;
          length += (byte & 0x7f) * multiplier;
          multiplier *= 128;
          if ((byte & 0x80) !== 0 && multiplier <= 128 ** 3) break;
          if (length > maxPacketBytes) {
            trip({
              code: 'PACKET_TOO_LARGE',
              reason: `packet of ${length} bytes exceeds ${maxPacketBytes}`,
            });
            return;
          }
          remaining = length;
          topicLength = 0;
          topicLengthBytes = 0;
          // A PUBLISH starts with its topic: a two-byte length, then the bytes. [MQTT-3.3.2.1]
          phase = type === PUBLISH && length >= 2 ? 'topicLength' : remaining > 0 ? 'skip' : 'type';
          break;
        }
        case 'topicLength':
          topicLength = topicLength * 256 + chunk[i]!;
          i += 1;
          remaining -= 1;
          topicLengthBytes += 1;
          if (topicLengthBytes < 2) break;
          // An empty or overlong topic is a malformed packet: the broker's parser refuses it.
          if (topicLength === 0 || topicLength > remaining) phase = remaining > 0 ? 'skip' : 'type';
          else {
            topicParts = [];
            topicHave = 0;
            phase = 'topic';
          }
          break;
        case 'topic': {
          const n = Math.min(topicLength - topicHave, chunk.length - i);
          topicParts.push(chunk.subarray(i, i + n));
          topicHave += n;
          i += n;
          remaining -= n;
          if (topicHave < topicLength) break;
          const topic = topicParts.length === 1 ? topicParts[0]! : Buffer.concat(topicParts);
          topicParts = [];
          if (!isUtf8(topic)) {
            trip({ code: 'INVALID_TOPIC', reason: 'PUBLISH topic is not valid UTF-8 [MQTT-1.5.3-1]' });
            return;
          }
          phase = remaining > 0 ? 'skip' : 'type';
          break;
        }
        case 'skip': {
          const n = Math.min(remaining, chunk.length - i);
          remaining -= n;
          i += n;
          if (remaining === 0) phase = 'type';
          break;
        }
      }
    }
  };
}
