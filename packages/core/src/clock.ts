/**
 * Time for the pure engine comes in through a {@link Clock}; the engine never reads a host
 * timer itself. Tests use {@link ManualClock}; a process uses {@link hostClock}.
 */

/** An opaque timer token returned by {@link Clock.setTimeout}. */
export type TimerToken = unknown;

/** The time source and timer service the engine is given. */
export interface Clock {
  /** Milliseconds on a monotonic scale (the origin is arbitrary). */
  now(): number;
  /** Calls `callback` once, `delayMs` milliseconds from now. */
  setTimeout(callback: () => void, delayMs: number): TimerToken;
  /** Cancels a timer; a token that already fired or was cleared is ignored. */
  clearTimeout(token: TimerToken): void;
}

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to, for deterministic tests. Timers due at the same
 * time fire in the order they were set.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerToken {
    const timer = { id: this.#nextId++, due: this.#now + Math.max(0, delayMs), callback };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(token: TimerToken): void {
    const i = this.#timers.findIndex((t) => t.id === token);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** How many timers are set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers) {
        if (t.due <= target && (next === undefined || t.due < next.due)) next = t;
      }
      if (next === undefined) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = next.due;
      next.callback();
    }
    this.#now = target;
  }
}

interface HostTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(token: unknown): void;
}
interface HostPerformance {
  now(): number;
}

/** Longest delay a host timer accepts in one go (2^31 - 1 ms); longer waits are chained. */
const MAX_HOST_DELAY_MS = 0x7fffffff;

/**
 * The clock of the JavaScript host (Node.js or a browser): `performance.now()` and the
 * global timers, reached through `globalThis` so that this package needs no host types.
 * Delays longer than a host timer can hold are chained.
 */
export function hostClock(): Clock {
  const g = globalThis as unknown as HostTimers & { performance?: HostPerformance };
  const perf = g.performance;
  const now = perf ? () => perf.now() : () => Date.now();
  return {
    now,
    setTimeout(callback, delayMs) {
      const box: { token: unknown } = { token: undefined };
      const arm = (remaining: number): void => {
        const step = Math.min(remaining, MAX_HOST_DELAY_MS);
        box.token = g.setTimeout(() => {
          if (remaining > step) arm(remaining - step);
          else callback();
        }, step);
      };
      arm(Math.max(0, delayMs));
      return box;
    },
    clearTimeout(token) {
      if (token !== null && typeof token === 'object' && 'token' in token) {
        g.clearTimeout(token.token);
      }
    },
  };
}
