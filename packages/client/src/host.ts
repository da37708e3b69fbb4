/**
 * What the client needs from its JavaScript host, declared structurally so that the package
 * compiles without DOM or Node types and runs in both: timers (reached through `globalThis`)
 * and the part of `AbortSignal` it uses.
 */
import { ClusnotifyError } from '@clusnotify/protocol';

/**
 * The part of the standard `AbortSignal` the client uses; a real `AbortSignal` (Node.js or a
 * browser) satisfies it. Every wait of the client takes one and rejects with its `reason`.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The reason a wait rejects with when `signal` aborts: `signal.reason` itself, typed as the
 * `Error` it is unless a caller aborted with something else.
 */
export function reasonOf(signal: AbortSignalLike | undefined): Error {
  return signal?.reason as Error;
}

interface HostTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(token: unknown): void;
}

const host = globalThis as unknown as HostTimers;

/**
 * Throws `error` again from a microtask, where nothing catches it: an uncaught exception in
 * Node.js, an error event in a browser (the host's `queueMicrotask`, in both).
 */
export function rethrowLater(error: unknown): void {
  (globalThis as unknown as { queueMicrotask(cb: () => void): void }).queueMicrotask(() => {
    throw error;
  });
}

/** The host's monotonic clock, in ms: `performance.now()` (Node.js and browsers alike). */
export function monotonicMs(): number {
  return (globalThis as unknown as { performance: { now(): number } }).performance.now();
}

/** Longest delay a host timer holds in one go (2^31 - 1 ms); longer waits count as forever. */
const MAX_HOST_DELAY_MS = 0x7fffffff;

/** A one-shot timer; `cancel()` is idempotent. */
export interface Timer {
  cancel(): void;
}

/**
 * Calls `callback` once after `delayMs` (clamped to 0 … 2^31 - 1) through the host's
 * `setTimeout`.
 */
export function startTimer(callback: () => void, delayMs: number): Timer {
  let token: unknown = host.setTimeout(
    () => {
      token = undefined;
      callback();
    },
    Math.min(Math.max(0, delayMs), MAX_HOST_DELAY_MS),
  );
  return {
    cancel() {
      if (token !== undefined) host.clearTimeout(token);
      token = undefined;
    },
  };
}

/**
 * Resolves after `delayMs`, or rejects with `signal.reason` when the signal aborts first (the
 * timer is then cleared, so that nothing keeps the host alive).
 */
export function delay(delayMs: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(reasonOf(signal));
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(reasonOf(signal));
    };
    const timer = startTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Validates a `timeoutMs` option: undefined (wait without limit) or a number >= 0. */
export function checkTimeout(timeoutMs: number | undefined, what: string): void {
  if (timeoutMs === undefined || timeoutMs === Infinity) return;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new ClusnotifyError(
      'INVALID_TIMEOUT',
      `${what}: timeoutMs must be a number of milliseconds >= 0, Infinity or left out; got ${String(timeoutMs)}`,
    );
  }
}

/** A settable latch: `wait()` resolves once `open()` was called (again after `reset()`). */
export class Latch {
  #open = false;
  #waiters: (() => void)[] = [];

  /** Whether the latch is open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Opens the latch and releases every waiter. */
  open(): void {
    this.#open = true;
    const w = this.#waiters;
    this.#waiters = [];
    for (const resolve of w) resolve();
  }

  /** Closes the latch again; later `wait()` calls park. */
  reset(): void {
    this.#open = false;
  }

  /** Resolves when the latch is open. */
  wait(): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * A minimal abort source (the ES2022 library declares no `AbortController`): its `signal`
 * satisfies {@link AbortSignalLike}.
 */
export class AbortSource {
  /** The signal to hand to waits. */
  readonly signal: AbortSignalLike;
  readonly #abort: (reason: unknown) => void;

  constructor() {
    let aborted = false;
    let reason: unknown = undefined;
    let listeners: (() => void)[] = [];
    this.signal = {
      get aborted() {
        return aborted;
      },
      get reason() {
        return reason;
      },
      addEventListener(_type, listener) {
        if (!aborted) listeners.push(listener);
      },
      removeEventListener(_type, listener) {
        const i = listeners.indexOf(listener);
        if (i >= 0) listeners.splice(i, 1);
      },
    };
    this.#abort = (r) => {
      if (aborted) return;
      aborted = true;
      reason = r;
      const l = listeners;
      listeners = [];
      for (const f of l) f();
    };
  }

  /** Aborts with `reason`; every listener runs once. Idempotent. */
  abort(reason: unknown): void {
    this.#abort(reason);
  }
}
