/**
 * The wire benchmark's protocol peer and reader (`wire.bench.ts`, and `wire-readers.ts` where the
 * latency run's readers work in threads of their own).
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import {
  CLIENT_BATCH_FRAMES,
  ClusterObjectType as T,
  V2_FAMILIES,
  WireFeature,
  batchMessage,
  parseBinaryNotifyFrame,
} from '@clusnotify/protocol';
import type { NotifyFrame, ServerFrame, WireResult } from '@clusnotify/protocol';

/**
 * Milliseconds on one clock for every thread of the process (`performance.now()` counts from
 * each thread's own start).
 */
export const clockMs = (): number => performance.timeOrigin + performance.now();

/**
 * Whether peers send the frames of a turn as batch messages when the server takes them, as
 * `@clusnotify/client` does (D54); `WIRE_BENCH_BATCH=0` sends every frame alone, as before.
 */
export const BATCH_FRAMES = process.env.WIRE_BENCH_BATCH !== '0';

/** A minimal protocol peer: pipelined calls (batched as the client library does), results by id. */
export class Peer {
  private nextId = 1;
  /** JSON of the frames waiting to leave as one batch message; undefined when none. */
  private batch: string[] | undefined;
  private readonly pending = new Map<number, (r: WireResult & Record<string, unknown>) => void>();
  /** Handlers of streamed ports' notify frames, by port handle. */
  readonly streams = new Map<string, (f: Pick<NotifyFrame, 'n'>) => void>();
  private constructor(
    private readonly ws: WebSocket,
    /** Whether frames go in batch messages (the server takes them and {@link BATCH_FRAMES}). */
    private readonly batches: boolean,
  ) {
    ws.on('message', (d, isBinary) => {
      if (isBinary) {
        // A streamed port's batch in a binary frame (D53), checked whole as the client does.
        const b = parseBinaryNotifyFrame(d as Buffer);
        if ('malformed' in b) throw new Error(b.malformed);
        this.streams.get(b.h)?.(b);
        return;
      }
      const f = JSON.parse((d as Buffer).toString('utf8')) as ServerFrame;
      if (f.t === 'result') {
        this.pending.get(f.id)?.(f.r as WireResult & Record<string, unknown>);
        this.pending.delete(f.id);
      } else if (f.t === 'notify') this.streams.get(f.h)?.(f);
    });
  }
  ack(h: string, n: number): void {
    this.send(JSON.stringify({ t: 'ack', h, n }));
  }
  /** Sends a frame, in a batch with the others of this microtask run (see `@clusnotify/client`). */
  private send(json: string): void {
    if (!this.batches) {
      this.ws.send(json);
      return;
    }
    const batch = (this.batch ??= []);
    batch.push(json);
    if (batch.length >= CLIENT_BATCH_FRAMES) this.flush();
    else if (batch.length === 1) queueMicrotask(() => this.flush());
  }
  private flush(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    this.ws.send(batchMessage(batch));
  }
  static async open(url: string, token: string): Promise<Peer> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const welcome = new Promise<Buffer>((resolve) => ws.once('message', resolve));
    ws.send(JSON.stringify({ t: 'hello', v: 1, token, client: 'bench' }));
    const w = JSON.parse((await welcome).toString('utf8')) as { features?: string[] };
    return new Peer(ws, BATCH_FRAMES && w.features?.includes(WireFeature.BATCH) === true);
  }
  call(m: string, p: unknown = {}): Promise<WireResult & Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send(JSON.stringify({ t: 'call', id, m, p }));
    });
  }
  close(): void {
    this.ws.close();
  }
}

/** The object types a port that matches every change registers for. */
export const EVERY_OBJECT_TYPE: readonly number[] = [
  T.CLUSTER,
  T.GROUP,
  T.RESOURCE,
  T.RESOURCE_TYPE,
  T.NETWORK_INTERFACE,
  T.NETWORK,
  T.NODE,
  T.REGISTRY,
  T.QUORUM,
];

/** A v2 port that matches every change of every object type. */
export async function watchEverything(peer: Peer): Promise<string> {
  const hc = (await peer.call('openCluster')).handle as string;
  const p = (await peer.call('createNotifyV2')).handle as string;
  for (const t of EVERY_OBJECT_TYPE) {
    const fam = V2_FAMILIES[t as keyof typeof V2_FAMILIES];
    if (fam === undefined) continue;
    const r = await peer.call('addNotifyV2', {
      hNotify: p,
      hObject: hc,
      filter: { objectType: t, filterFlags: (fam.all & ~fam.clientOnly) >>> 0 },
      notifyKey: t,
      version: 2,
      isTargetedAtObject: false,
    });
    if (r.type !== 'ok') throw new Error(JSON.stringify(r));
  }
  return p;
}

/**
 * A time per revision, in a growable array indexed by revision: the latency run keeps ~1,000
 * revisions for each of 100 readers, and as `Map`s they were garbage the bench's own scavenges
 * copied and promoted while the measured frames arrived (its pauses add to the figure).
 */
export class RevisionTimes {
  private times = new Float64Array(1 << 10).fill(NaN);
  /** Records `at` for `revision` unless it has a time already. */
  setFirst(revision: number, at: number): void {
    if (revision >= this.times.length) {
      const next = new Float64Array(Math.max(this.times.length * 2, revision + 1)).fill(NaN);
      next.set(this.times);
      this.times = next;
    }
    if (Number.isNaN(this.times[revision])) this.times[revision] = at;
  }
  get(revision: number): number | undefined {
    const t = this.times[revision];
    return t === undefined || Number.isNaN(t) ? undefined : t;
  }
  /** [revision, time] of every revision with a time, in revision order. */
  *entries(): IterableIterator<[number, number]> {
    for (let rev = 0; rev < this.times.length; rev++) {
      const t = this.times[rev] as number;
      if (!Number.isNaN(t)) yield [rev, t];
    }
  }
}

export interface Reader {
  count: number;
  /** Newest revision received. */
  last: number;
  readonly firstSeen: RevisionTimes;
  stop(): void;
  done: Promise<void>;
}

/** How readers take indications: `stream` (streamNotify + acks, the default) or `poll` (gets). */
export const READ_MODE = process.env.WIRE_BENCH_READ === 'poll' ? 'poll' : 'stream';
/**
 * How a streamed port's batches travel: `binary` frames (the default, as the client library
 * asks, D53) or `json` text (`WIRE_BENCH_ENCODING=json`, as until session 9).
 */
export const STREAM_ENCODING = process.env.WIRE_BENCH_ENCODING === 'json' ? 'json' : 'binary';
const WINDOW = 4096;

/**
 * Reads a port — streamed (notify frames, acked every half window) or with one get in flight —
 * and counts indications and first arrival per revision.
 */
export function read(peer: Peer, port: string, track: boolean): Reader {
  let stopped = false;
  const r: Reader = {
    count: 0,
    last: 0,
    firstSeen: new RevisionTimes(),
    stop: () => (stopped = true),
    done: Promise.resolve(),
  };
  /** Counts a batch read, and with `track` the first arrival of each revision in it. */
  const took = (list: readonly { revision: number }[]): void => {
    r.count += list.length;
    r.last = Math.max(r.last, list.at(-1)?.revision ?? 0);
    if (track) {
      const now = clockMs();
      for (const n of list) r.firstSeen.setFirst(n.revision, now);
    }
  };
  if (READ_MODE === 'stream') {
    let unacked = 0;
    peer.streams.set(port, (f) => {
      if (stopped) return;
      const list = f.n as { revision: number }[];
      took(list);
      unacked += list.length;
      if (unacked >= WINDOW / 2) {
        peer.ack(port, unacked);
        unacked = 0;
      }
    });
    const encoding = STREAM_ENCODING;
    r.done = peer.call('streamNotify', { hNotify: port, window: WINDOW, encoding }).then((res) => {
      if (res.type !== 'ok') throw new Error(JSON.stringify(res));
    });
    return r;
  }
  r.done = (async () => {
    while (!stopped) {
      const res = await peer.call('getNotifyV2', { hNotify: port, max: 4096, timeoutMs: 200 });
      if (res.type !== 'ok') continue;
      took(res.notifications as { revision: number }[]);
    }
  })();
  return r;
}

/** `count` peers, each reading a port that matches everything (see {@link read}). */
export interface Readers {
  readonly readers: readonly Reader[];
  /** Stops the readers, waits for their last reads and closes their connections. */
  close(): Promise<void>;
}

/** Opens `count` peers on `url`, one after another, each reading its own match-everything port. */
export async function openReaders(
  url: string,
  token: string,
  count: number,
  track: boolean,
): Promise<Readers> {
  const peers: Peer[] = [];
  const readers: Reader[] = [];
  for (let i = 0; i < count; i++) {
    const p = await Peer.open(url, token);
    peers.push(p);
    readers.push(read(p, await watchEverything(p), track));
  }
  return {
    readers,
    async close() {
      for (const r of readers) r.stop();
      await Promise.all(readers.map((r) => r.done));
      for (const p of peers) p.close();
    },
  };
}
