/**
 * Watches the MQTT framing of an inbound byte stream and reports the first packet whose declared size exceeds
 * `maxPacketBytes`, as soon as its fixed header arrives: the connection can be cut before the broker buffers it
 * (Aedes has no packet size limit of its own).
 */
export function createFrameGuard(
  maxPacketBytes: number,
  onTooLarge: (declaredBytes: number) => void,
): (chunk: Buffer) => void {
  // State across chunks: bytes of the current packet still to skip, or the remaining-length varint being read.
  let skip = 0;
  let inHeader = false;
  let length = 0;
  let multiplier = 1;
  let tripped = false;
  return (chunk) => {
    let i = 0;
    while (i < chunk.length && !tripped) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      if (!inHeader) {
        // First byte: packet type and flags; the remaining length follows. [MQTT-2.2]
        inHeader = true;
        length = 0;
        multiplier = 1;
        i += 1;
        continue;
      }
      const byte = chunk[i]!;
      i += 1;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) !== 0 && multiplier <= 128 ** 3) continue;
      inHeader = false;
      if (length > maxPacketBytes) {
        tripped = true;
        onTooLarge(length);
        return;
      }
      skip = length;
    }
  };
}
