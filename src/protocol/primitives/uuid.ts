/**
 * Kafka UUIDs are 16 bytes on the wire. In memory we keep Kafka's own textual form,
 * URL-safe base64 without padding (22 characters), so ids compare and key maps directly.
 */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uuidFromBytes(buf: Buffer, at = 0): string {
  return buf.toString('base64url', at, at + 16);
}

export function uuidToBytes(id: string): Buffer {
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.length !== 16) throw new RangeError(`not a 16-byte uuid: ${id}`);
  return bytes;
}

/** A random version-4 UUID in Kafka's text form, never zero and never starting with '-'. */
export function randomUuid(random: (buf: Buffer) => void): string {
  for (;;) {
    const bytes = Buffer.alloc(16);
    random(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const id = uuidFromBytes(bytes);
    if (id !== ZERO_UUID && !id.startsWith('-')) return id;
  }
}
