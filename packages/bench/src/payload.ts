/**
 * The 120-byte payload every system carries: a sequence number and the writer's send time, so
 * each watcher can tell what it missed and how long delivery took, padded to exactly 120 ASCII
 * characters. Send times are `process.hrtime` readings (CLOCK_MONOTONIC, shared by every process
 * on the machine), in microseconds.
 */

/** Payload length in bytes (ASCII: characters = bytes). */
export const PAYLOAD_BYTES = 120;

/** The payload of write number `seq` sent at `sentUs` (microseconds, CLOCK_MONOTONIC). */
export function makePayload(seq: number, sentUs: number): string {
  const head = `#${seq}:${Math.round(sentUs)}:`;
  if (head.length > PAYLOAD_BYTES) throw new RangeError('sequence or time too large for a payload');
  return head + 'x'.repeat(PAYLOAD_BYTES - head.length);
}

/**
 * Reads `seq` and `sentUs` back from a payload (or text that contains one: the first `#`
 * followed by digits, `:`, digits, `:`); undefined if none. Read character by character: the
 * regular expression it replaced (session 19) took ~130 ns a payload against ~55, and every
 * watcher process of every system runs this once per delivery.
 */
export function parsePayload(text: string): { seq: number; sentUs: number } | undefined {
  for (let h = text.indexOf('#'); h >= 0; h = text.indexOf('#', h + 1)) {
    const seq = digitsAt(text, h + 1);
    if (seq === undefined) continue;
    const sent = digitsAt(text, seq.next + 1);
    if (sent !== undefined) return { seq: seq.value, sentUs: sent.value };
  }
  return undefined;
}

/** The decimal number at `i` of `text` that a `:` ends (undefined if none); `next` is the `:`. */
function digitsAt(text: string, i: number): { value: number; next: number } | undefined {
  let value = 0;
  let j = i;
  for (let c = text.charCodeAt(j); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++j))
    value = value * 10 + (c - 0x30);
  return j > i && text.charCodeAt(j) === 0x3a ? { value, next: j } : undefined;
}
