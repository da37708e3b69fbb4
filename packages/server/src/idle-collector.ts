/**
 * Gives the young generation back when the process goes idle (D50).
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
 */
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

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
  /** Event-loop utilisation since `last` (default: `performance.eventLoopUtilization`). */
  readonly utilization?: (last?: EventLoopUtilization) => EventLoopUtilization;
}

export interface IdleCollector {
  /** Collections run so far. */
  readonly collections: number;
  stop(): void;
}

/** The exposed collector as a minor collection, or undefined when node runs without it. */
function exposedMinorGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;
  return typeof gc === 'function' ? () => gc({ type: 'minor' }) : undefined;
}

function newSpaceBytes(): number {
  return (
    getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0
  );
}

/**
 * Starts collecting the young generation of an idle process (see the module comment). Returns
 * undefined when there is no collector to call (node without `--expose-gc` and no `collect`).
 * The timer does not keep the process alive.
 */
export function startIdleCollector(options: IdleCollectorOptions = {}): IdleCollector | undefined {
  const collect = options.collect ?? exposedMinorGc();
  if (collect === undefined) return undefined;
  const idleBelow = options.idleBelow ?? 0.05;
  const keepBytes = options.keepBytes ?? 2 * 1024 * 1024;
  const youngBytes = options.youngBytes ?? newSpaceBytes;
  const utilization =
    options.utilization ??
    ((last?: EventLoopUtilization) => performance.eventLoopUtilization(last));
  let mark = utilization();
  let collections = 0;
  const timer = setInterval(() => {
    const since = utilization(mark);
    mark = utilization();
    if (since.utilization >= idleBelow || youngBytes() <= keepBytes) return;
    collect();
    collections++;
  }, options.intervalMs ?? 1000);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
