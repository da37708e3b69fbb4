/**
 * The 120-byte payload every system carries: a sequence number and the writer's send time, so
 * each watcher can tell what it missed and how long delivery took, padded to exactly 120 ASCII
 * characters. Send times are `process.hrtime` readings (CLOCK_MONOTONIC, shared by every process
 * on the machine), in microseconds.
 */

/** Payload length in bytes (ASCII: characters = bytes). */
export const PAYLOAD_BYTES = 120;

const HEAD = /#(\d+):(\d+):/;

/** The payload of write number `seq` sent at `sentUs` (microseconds, CLOCK_MONOTONIC). */
export function makePayload(seq: number, sentUs: number): string {
  const head = `#${seq}:${Math.round(sentUs)}:`;
  if (head.length > PAYLOAD_BYTES) throw new RangeError('sequence or time too large for a payload');
  return head + 'x'.repeat(PAYLOAD_BYTES - head.length);
}

/** Reads `seq` and `sentUs` back from a payload (or text that contains one); undefined if none. */
export function parsePayload(text: string): { seq: number; sentUs: number } | undefined {
  const m = HEAD.exec(text);
  if (m === null) return undefined;
  return { seq: Number(m[1]), sentUs: Number(m[2]) };
}
