/**
 * A worker process holding many watchers of one system (the coordinator forks several, so the
 * benchmark's own clients are not one event loop). It counts what each watcher receives,
 * records write→delivery latency in a histogram, and answers the coordinator over IPC.
 */
import { Histogram } from './stats.js';
import { parsePayload } from './payload.js';
import { SHARES_CONNECTIONS, openWatchConnection } from './systems.js';
import type { Endpoint, Sharing, WatchConnection, WatchNote } from './systems.js';

/** Coordinator → worker. */
export type WorkerCommand =
  | {
      readonly type: 'open';
      readonly endpoint: Endpoint;
      readonly count: number;
      /** Each watcher on its own connection, or this worker's sharing connections (250 each). */
      readonly sharing: Sharing;
      /** Keep a bitmap of the sequence numbers received (distinct / lost counts). */
      readonly track: boolean;
    }
  | {
      readonly type: 'reset';
      /** Deliveries received within [fromUs, toUs] (CLOCK_MONOTONIC µs) are counted apart. */
      readonly windowFromUs: number;
      readonly windowToUs: number;
      /** The first sequence number of the phase (the bitmap's base). */
      readonly fromSeq: number;
    }
  | { readonly type: 'report' }
  | { readonly type: 'close' };

/** Worker → coordinator. */
export type WorkerReply =
  | { readonly type: 'opened' }
  | { readonly type: 'reset-done' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'report'; readonly report: WorkerReport }
  | { readonly type: 'closed' };

/** Sums over a worker's watchers since the last reset. */
export interface WorkerReport {
  readonly watchers: number;
  /** Payloads received. */
  readonly received: number;
  /** Payloads received inside the window. */
  readonly inWindow: number;
  /** The lowest, over the watchers, of the highest sequence number each has seen (0: none). */
  readonly minMaxSeq: number;
  /** Payloads whose sequence number was not above the watcher's highest so far. */
  readonly outOfOrder: number;
  /** Distinct sequence numbers >= fromSeq received (tracked workers only, summed). */
  readonly distinct: number;
  /** Receive time of the newest payload (µs), 0 if none. */
  readonly lastReceiveUs: number;
  readonly notes: Readonly<Record<WatchNote, number>>;
  readonly histogram: { counts: number[]; max: number };
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** A growable bitmap of sequence numbers from a base. */
class SeqSet {
  private bits = new Uint8Array(1 << 16);
  size = 0;
  constructor(private readonly base: number) {}
  add(seq: number): void {
    const i = seq - this.base;
    if (i < 0) return;
    const byte = i >>> 3;
    if (byte >= this.bits.length) {
      const next = new Uint8Array(Math.max(this.bits.length * 2, byte + 1));
      next.set(this.bits);
      this.bits = next;
    }
    const m = 1 << (i & 7);
    if ((this.bits[byte] ?? 0) & m) return;
    this.bits[byte] = (this.bits[byte] ?? 0) | m;
    this.size++;
  }
}

interface State {
  received: number;
  inWindow: number;
  maxSeq: number;
  outOfOrder: number;
  seen: SeqSet | undefined;
}

/** The worker's connections (one per watcher, or one per {@link WATCHERS_PER_SHARED_CONNECTION} watchers). */
const connections: WatchConnection[] = [];
const states: State[] = [];
let track = false;
let window = { from: 0, to: 0 };
let hist = new Histogram();
let lastReceiveUs = 0;
let notes: Record<WatchNote, number> = {
  disconnected: 0,
  reconnected: 0,
  'lost-indication': 0,
};

function send(m: WorkerReply): void {
  process.send?.(m);
}

function reset(fromSeq: number): void {
  for (const s of states) {
    s.received = 0;
    s.inWindow = 0;
    s.outOfOrder = 0;
    s.seen = track ? new SeqSet(fromSeq) : undefined;
  }
  hist = new Histogram();
  lastReceiveUs = 0;
  notes = { disconnected: 0, reconnected: 0, 'lost-indication': 0 };
}

/** A watcher's payload handler, counting into `s`. */
function onPayloadOf(s: State): (text: string) => void {
  return (text) => {
    const t = nowUs();
    const p = parsePayload(text);
    if (p === undefined) return;
    s.received++;
    if (t >= window.from && t <= window.to) s.inWindow++;
    if (p.seq <= s.maxSeq) s.outOfOrder++;
    else s.maxSeq = p.seq;
    s.seen?.add(p.seq);
    hist.record(t - p.sentUs);
    lastReceiveUs = t;
  };
}

const onNote = (n: WatchNote): void => {
  notes[n]++;
};

/**
 * Most watchers on one shared connection (`per-worker`): a clusnotify session holds 256 ports by
 * default, so a worker with more watchers opens another connection per 250. The 1 / 100 / 1,000
 * sets (at most 250 per worker) keep one connection per worker; the idle set of 10,000 has ten.
 */
const WATCHERS_PER_SHARED_CONNECTION = 250;

async function open(endpoint: Endpoint, count: number, sharing: Sharing): Promise<void> {
  const shares = sharing === 'per-worker' && SHARES_CONNECTIONS[endpoint.system];
  // A few at a time: a thousand handshakes at once only adds retries and noise.
  const batch = 25;
  for (let first = 0; first < count; first += WATCHERS_PER_SHARED_CONNECTION) {
    const shared = shares ? await openWatchConnection(endpoint, onNote) : undefined;
    if (shared !== undefined) connections.push(shared);
    const end = shares ? Math.min(count, first + WATCHERS_PER_SHARED_CONNECTION) : count;
    for (let i = first; i < end; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, end - i) }, async () => {
          const s: State = {
            received: 0,
            inWindow: 0,
            maxSeq: 0,
            outOfOrder: 0,
            seen: undefined,
          };
          states.push(s);
          let c = shared;
          if (c === undefined) {
            c = await openWatchConnection(endpoint, onNote);
            connections.push(c);
          }
          await c.watch(onPayloadOf(s));
        }),
      );
    }
    if (!shares) break;
  }
}

function report(): WorkerReport {
  let received = 0;
  let inWindow = 0;
  let minMaxSeq = Infinity;
  let outOfOrder = 0;
  let distinct = 0;
  for (const s of states) {
    received += s.received;
    inWindow += s.inWindow;
    minMaxSeq = Math.min(minMaxSeq, s.maxSeq);
    outOfOrder += s.outOfOrder;
    distinct += s.seen?.size ?? 0;
  }
  return {
    watchers: states.length,
    received,
    inWindow,
    minMaxSeq: minMaxSeq === Infinity ? 0 : minMaxSeq,
    outOfOrder,
    distinct,
    lastReceiveUs,
    notes: { ...notes },
    histogram: hist.toJSON(),
  };
}

process.on('message', (m: WorkerCommand) => {
  switch (m.type) {
    case 'open':
      track = m.track;
      open(m.endpoint, m.count, m.sharing).then(
        () => send({ type: 'opened' }),
        (e: unknown) =>
          send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
      );
      return;
    case 'reset':
      window = { from: m.windowFromUs, to: m.windowToUs };
      reset(m.fromSeq);
      send({ type: 'reset-done' });
      return;
    case 'report':
      send({ type: 'report', report: report() });
      return;
    case 'close': {
      const done = Promise.allSettled(connections.map((c) => c.close()));
      const timer = setTimeout(() => process.exit(0), 5000);
      void done.then(() => {
        clearTimeout(timer);
        send({ type: 'closed' });
        process.disconnect();
        // Client libraries may keep timers (reconnect backoff); the worker is done.
        setTimeout(() => process.exit(0), 100).unref();
      });
      return;
    }
  }
});
// The coordinator went away (killed): leave too.
process.on('disconnect', () => process.exit(0));
