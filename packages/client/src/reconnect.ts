/**
 * The pure parts of the reconnect procedure (§7.3 of the reference, [MS-CMRP] §3.2.4.6): which
 * candidates a round tries, in what order, and how long to wait between attempts.
 */

/** Reconnect timing (the backoff between attempts of §7.3's procedure; decisions D25). */
export interface ReconnectOptions {
  /** Wait before the second attempt; doubles per attempt (default 100 ms). */
  readonly initialDelayMs?: number;
  /** Longest wait between attempts (default 10 000 ms). */
  readonly maxDelayMs?: number;
}

/** Defaults of {@link ReconnectOptions} (§7.3, D25). */
export const DEFAULT_RECONNECT = { initialDelayMs: 100, maxDelayMs: 10_000 } as const;

/**
 * The candidates of one reconnect round, as indexes into `urls`: every URL once, starting
 * after the one that failed and wrapping around. The first round after a loss skips the
 * failed URL unless it is the only one (§7.3 step 1); later rounds include it.
 */
export function roundCandidates(
  count: number,
  failedIndex: number,
  firstRound: boolean,
): readonly number[] {
  if (count <= 0) return [];
  const out: number[] = [];
  for (let i = 1; i <= count; i++) {
    const idx = (failedIndex + i) % count;
    if (firstRound && idx === failedIndex && count > 1) continue;
    out.push(idx);
  }
  return out;
}

/**
 * The wait before attempt number `attempt` (0-based since the connection was lost): none for
 * the first, then `initialDelayMs` doubling up to `maxDelayMs`.
 */
export function backoffDelay(
  attempt: number,
  options: { readonly initialDelayMs: number; readonly maxDelayMs: number },
): number {
  if (attempt <= 0) return 0;
  const d = options.initialDelayMs * 2 ** Math.min(attempt - 1, 30);
  return Math.min(options.maxDelayMs, d);
}
