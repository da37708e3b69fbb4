/**
 * Gives the young generation back when the process goes idle (D50), and compacts the old
 * generation once after it grew (D57).
 *
 * V8 grows its young generation under load (to 2 × 16 MiB with Node's defaults) and keeps it
 * until a collection finds the allocation rate low: a server that goes idle after a burst never
 * collects again, so it keeps those pages resident. Capping the young generation
 * (`--max-semi-space-size=2`, the bin's flag until D50) kept a server with 10,000 idle ports near
 * what the ports retain, but made a busy server collect more than five times as often (162
 * against 29 scavenges in a latency run at 200 changes/s; live, 33–35 against 30–31 µs of server
 * CPU per command, docs/benchmarks.md).
 *
 * Instead, once a second, when the event loop was busy less than `idleBelow` of that second and
 * the young generation holds more than `keepBytes`, this runs a young-generation collection of
 * what is by then mostly garbage; after a few of them V8 sees the low allocation rate
 * and shrinks the space, and collections stop until it grows again. It needs the collector
 * exposed (`node --expose-gc`, as the `clusnotify` bin runs); without it nothing is started.
 *
 * The old generation: a burst of subscriptions leaves the ports' objects spread over pages that
 * also held what the burst promoted and later dropped, and V8's full collections move objects
 * only off pages it finds nearly empty, so the pages stay resident about a third emptier than
 * they could be (10,000 streamed watchers: ~1,050 B of old space committed per port for ~700 B
 * used). So once the process has been quiet for `quietLooks` looks in a row (busy less than
 * `quietBelow` of each second), the first time after start and then whenever its old generation
 * has grown by `compactGrowth` of its size since the collector last compacted it (and by at
 * least `compactMinBytes`), it runs one full collection that compacts every page; growth then
 * counts from the compacted size. Quiet, not just idle: the collection stops the event loop for
 * longer than a young one (~30 ms with 10,000 idle ports), which a server sending a trickle of
 * changes should not see.
 */
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

export interface IdleCollectorOptions {
  /** How often to look (ms). Default 1,000. */
  readonly intervalMs?: number;
  /** Event-loop utilisation below which the process counts as idle. Default 0.05. */
  readonly idleBelow?: number;
  /** Young-generation bytes (resident) an idle process keeps without collecting. Default 2 MiB. */
  readonly keepBytes?: number;
  /** Runs a young-generation collection. Default: the exposed `gc({ type: 'minor' })`. */
  readonly collect?: () => void;
  /** Resident bytes of the young generation. Default: V8's `new_space` physical size. */
  readonly youngBytes?: () => number;
  /**
   * Growth of the old generation, as a fraction of its size when last compacted, after which an
   * idle process compacts it. Default 0.125.
   */
  readonly compactGrowth?: number;
  /** Least growth of the old generation (bytes) that leads to a compaction. Default 1 MiB. */
  readonly compactMinBytes?: number;
  /** Event-loop utilisation below which a look counts as quiet. Default 0.01. */
  readonly quietBelow?: number;
  /** Quiet looks in a row before a compaction. Default 3. */
  readonly quietLooks?: number;
  /**
   * Runs a full collection that compacts the whole old generation. Default: the exposed
   * `gc()` with V8's `--compact-on-every-full-gc` set for that one collection (none without
   * `--expose-gc`).
   */
  readonly compact?: () => void;
  /** Committed bytes of the old generation. Default: V8's `old_space` size. */
  readonly oldBytes?: () => number;
  /** Told after each compaction: the old generation's size before and after, and its time. */
  readonly onCompaction?: (c: Compaction) => void;
  /** Event-loop utilisation since `last` (default: `performance.eventLoopUtilization`). */
  readonly utilization?: (last?: EventLoopUtilization) => EventLoopUtilization;
}

/** One compaction of the old generation (see {@link IdleCollectorOptions.onCompaction}). */
export interface Compaction {
  /** Committed bytes of the old generation before it. */
  readonly beforeBytes: number;
  /** Committed bytes of the old generation after it. */
  readonly afterBytes: number;
  /** How long the collection took (ms): the event loop waited that long. */
  readonly ms: number;
}

export interface IdleCollector {
  /** Young-generation collections run so far. */
  readonly collections: number;
  /** Compacting full collections run so far. */
  readonly compactions: number;
  stop(): void;
}

/**
 * The exposed collector as called here: `{ type: 'minor' }`, or no options for a full collection
 * (`{ type: 'major' }` collects nothing on Node 20, D57).
 */
type ExposedGc = (options?: { type: 'minor' }) => void;

/** The collector `node --expose-gc` exposes, or undefined. */
function exposedGc(): ExposedGc | undefined {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  return typeof gc === 'function' ? gc : undefined;
}

/**
 * One full collection that compacts every page of the old generation. V8 reads
 * `--compact-on-every-full-gc` as each full collection starts, so the flag is set for this one
 * and cleared after it (a program that runs node with the flag set loses it here). The
 * collection is `gc()` without options: on Node 20, `gc({ type: 'major' })` returned within a
 * millisecond having collected nothing of a 40 MB old generation, where `gc()` took ~28 ms and
 * gave back the pages.
 */
function compactingGc(gc: ExposedGc): void {
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

function spaceBytes(name: string, physical: boolean): number {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === name);
  if (s === undefined) return 0;
  return physical ? s.physical_space_size : s.space_size;
}

/**
 * Starts collecting the young generation of an idle process and compacting its old generation
 * once quiet (see the module comment). Returns undefined when there is no collector to call
 * (node without `--expose-gc` and no `collect`); given `collect` alone in such a node, it does
 * not compact. The timer does not keep the process alive.
 */
export function startIdleCollector(options: IdleCollectorOptions = {}): IdleCollector | undefined {
  const gc = exposedGc();
  const collect = options.collect ?? (gc === undefined ? undefined : () => gc({ type: 'minor' }));
  const compact = options.compact ?? (gc === undefined ? undefined : () => compactingGc(gc));
  if (collect === undefined) return undefined;
  const idleBelow = options.idleBelow ?? 0.05;
  const keepBytes = options.keepBytes ?? 2 * 1024 * 1024;
  const youngBytes = options.youngBytes ?? (() => spaceBytes('new_space', true));
  const compactGrowth = options.compactGrowth ?? 0.125;
  const compactMinBytes = options.compactMinBytes ?? 1024 * 1024;
  const oldBytes = options.oldBytes ?? (() => spaceBytes('old_space', false));
  const quietBelow = options.quietBelow ?? 0.01;
  const quietLooks = options.quietLooks ?? 3;
  const utilization =
    options.utilization ??
    ((last?: EventLoopUtilization) => performance.eventLoopUtilization(last));
  let mark = utilization();
  let collections = 0;
  let compactions = 0;
  /**
   * The old generation's size when last compacted, or its least since. 0 until the first
   * compaction: the first quiet stretch after start compacts what starting up left.
   */
  let compactedAt = 0;
  /** Quiet looks in a row so far. */
  let quiet = 0;
  const timer = setInterval(() => {
    const since = utilization(mark);
    mark = utilization();
    const old = oldBytes();
    // V8's own collections may shrink it: growth counts from the least size seen.
    if (old < compactedAt) compactedAt = old;
    quiet = since.utilization < quietBelow ? quiet + 1 : 0;
    if (since.utilization >= idleBelow) return;
    if (
      compact !== undefined &&
      quiet >= quietLooks &&
      old - compactedAt >= Math.max(compactMinBytes, compactedAt * compactGrowth)
    ) {
      const t0 = performance.now();
      compact();
      const ms = performance.now() - t0;
      compactions++;
      compactedAt = oldBytes();
      options.onCompaction?.({ beforeBytes: old, afterBytes: compactedAt, ms });
      return;
    }
    if (youngBytes() <= keepBytes) return;
    collect();
    collections++;
  }, options.intervalMs ?? 1000);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    get compactions() {
      return compactions;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
