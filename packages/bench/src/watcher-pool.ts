/**
 * The coordinator's side of the watcher workers: forks them, spreads the watchers over them,
 * and merges their reports.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from './stats.js';
import { stopChild, track } from './processes.js';
import type { Endpoint, Sharing, WatchNote } from './systems.js';
import type { WorkerCommand, WorkerReply, WorkerReport } from './watcher-worker.js';

const WORKER = fileURLToPath(new URL('./watcher-worker.js', import.meta.url));

/** Merged reports of every worker of a pool. */
export interface PoolReport {
  readonly watchers: number;
  readonly received: number;
  readonly inWindow: number;
  readonly minMaxSeq: number;
  readonly outOfOrder: number;
  readonly distinct: number;
  readonly lastReceiveUs: number;
  readonly notes: Readonly<Record<WatchNote, number>>;
  readonly histogram: Histogram;
}

class WorkerHandle {
  private readonly waiting: ((r: WorkerReply) => void)[] = [];
  private failure: Error | undefined;

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: WorkerReply) => this.waiting.shift()?.(m));
    child.once('exit', (code, sig) => {
      this.failure = new Error(`watcher worker exited (${String(code ?? sig)})`);
      for (const w of this.waiting.splice(0)) w({ type: 'error', message: this.failure.message });
    });
  }

  /** Sends `cmd` and resolves with the worker's answer (one answer per command, in order). */
  request(cmd: WorkerCommand): Promise<WorkerReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(cmd);
    });
  }
}

const ok = (r: WorkerReply, want: WorkerReply['type']): WorkerReply => {
  if (r.type === 'error') throw new Error(`watcher worker: ${r.message}`);
  if (r.type !== want) throw new Error(`watcher worker answered ${r.type}, expected ${want}`);
  return r;
};

/** Watchers of one system spread over worker processes. */
export class WatcherPool {
  private constructor(
    private readonly workers: WorkerHandle[],
    /** Whether the workers keep the sequence numbers (then `distinct` counts). */
    readonly tracked: boolean,
  ) {}

  /**
   * Forks `workers` processes and opens `count` watchers over them, evenly; with `sharing`
   * per-worker the watchers of a worker share one connection.
   */
  static async open(
    endpoint: Endpoint,
    count: number,
    workers: number,
    trackSeqs = false,
    sharing: Sharing = 'per-watcher',
  ): Promise<WatcherPool> {
    const n = Math.max(1, Math.min(workers, count));
    const handles = Array.from(
      { length: n },
      () =>
        new WorkerHandle(
          track(
            fork(WORKER, [], {
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
              serialization: 'json',
            }),
          ),
        ),
    );
    const pool = new WatcherPool(handles, trackSeqs);
    try {
      await Promise.all(
        handles.map(async (h, i) => {
          const share = Math.floor(count / n) + (i < count % n ? 1 : 0);
          ok(
            await h.request({ type: 'open', endpoint, count: share, sharing, track: trackSeqs }),
            'opened',
          );
        }),
      );
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Process ids of the workers (to stop one with SIGSTOP). */
  get pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? -1);
  }

  /** Zeroes the counters; deliveries within [fromUs, toUs] are counted apart. */
  async reset(windowFromUs: number, windowToUs: number, fromSeq: number): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) =>
        ok(await w.request({ type: 'reset', windowFromUs, windowToUs, fromSeq }), 'reset-done'),
      ),
    );
  }

  /** Every worker's figures since the last reset, merged. */
  async report(): Promise<PoolReport> {
    const reports = await Promise.all(
      this.workers.map(async (w) => {
        const r = ok(await w.request({ type: 'report' }), 'report');
        return (r as { report: WorkerReport }).report;
      }),
    );
    const histogram = new Histogram();
    for (const r of reports) histogram.merge(Histogram.fromJSON(r.histogram));
    const sum = (f: (r: WorkerReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
    return {
      watchers: sum((r) => r.watchers),
      received: sum((r) => r.received),
      inWindow: sum((r) => r.inWindow),
      minMaxSeq: Math.min(...reports.map((r) => r.minMaxSeq)),
      outOfOrder: sum((r) => r.outOfOrder),
      distinct: sum((r) => r.distinct),
      lastReceiveUs: Math.max(...reports.map((r) => r.lastReceiveUs)),
      notes: {
        disconnected: sum((r) => r.notes.disconnected),
        reconnected: sum((r) => r.notes.reconnected),
        'lost-indication': sum((r) => r.notes['lost-indication']),
      },
      histogram,
    };
  }

  /** Closes every watcher and stops the workers. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise<void>((resolve) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) resolve();
          else w.child.once('exit', () => resolve());
        });
        w.child.kill('SIGCONT');
        try {
          void w.request({ type: 'close' }).catch(() => undefined);
        } catch {
          // already gone
        }
        const t = setTimeout(() => void stopChild(w.child), 8000);
        await exited;
        clearTimeout(t);
      }),
    );
  }
}
