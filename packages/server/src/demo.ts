/**
 * A demo workload: a realistic stream of cluster activity at a steady rate — resources fail
 * (and restart or fail over), resources go offline and online, groups move, nodes pause and
 * resume or go down and come back, cluster-database values change. Never takes the last up node
 * down. `clusnotify serve --demo` runs it.
 */
import { ClusterNodeState as ND, ClusterResourceState as RS } from '@clusnotify/protocol';
import type { Command } from '@clusnotify/core';
import type { ClusterService } from './cluster-service.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Commands per second (default 5). */
  readonly rate?: number;
  /** How long a downed node stays down, and a paused node paused (default 3000 ms). */
  readonly outageMs?: number;
  /** Random source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Called with each failed command (the demo keeps going). */
  readonly onError?: (command: Command, message: string) => void;
}

/** A running demo. */
export interface Demo {
  /** Commands issued so far. */
  readonly issued: number;
  stop(): void;
}

/** Starts the demo workload on `service`. */
export function startDemo(service: ClusterService, options: DemoOptions = {}): Demo {
  const rate = options.rate ?? 5;
  if (!(rate > 0 && rate <= 100_000))
    throw new RangeError(`rate must be > 0 and <= 100000, got ${rate}`);
  const outageMs = options.outageMs ?? 3000;
  const random = options.random ?? Math.random;
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
  const session = service.openSession('full');
  const timers = new Set<NodeJS.Timeout>();
  let issued = 0;
  let stopped = false;
  let counter = 0;

  const run = (c: Command): void => {
    issued++;
    void session.execute(c).then((r) => {
      if (r.type === 'error') options.onError?.(c, `${r.code}: ${r.message}`);
    });
  };
  const later = (ms: number, c: Command): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) run(c);
    }, ms);
    timers.add(t);
  };

  const step = (): void => {
    const s = service.state;
    const nodes = [...s.nodes.values()];
    const up = nodes.filter((n) => n.state === ND.UP);
    const resources = [...s.resources.values()];
    const r = random();
    if (r < 0.3) {
      const res = pick(
        resources.filter((x) => x.state === RS.ONLINE && x.id !== s.cluster.quorumResourceId),
      );
      if (res) run({ type: 'resource.fail', resource: res.id });
    } else if (r < 0.5) {
      const res = pick(resources.filter((x) => x.id !== s.cluster.quorumResourceId));
      if (res)
        run({
          type: res.state === RS.ONLINE ? 'resource.offline' : 'resource.online',
          resource: res.id,
        });
    } else if (r < 0.65) {
      const g = pick([...s.groups.values()]);
      if (g && up.length > 1) run({ type: 'group.move', group: g.id });
    } else if (r < 0.75) {
      const n = pick(up);
      if (n && up.length > 1) {
        run({ type: 'node.pause', node: n.id });
        later(outageMs, { type: 'node.resume', node: n.id });
      }
    } else if (r < 0.8) {
      const n = pick(up);
      if (n && up.length > 1) {
        run({ type: 'node.down', node: n.id });
        later(outageMs, { type: 'node.up', node: n.id });
      }
    } else {
      run({
        type: 'value.set',
        path: 'Parameters\\Settings',
        name: `Demo${counter++ % 8}`,
        value: { type: 4, data: Math.floor(random() * 1000) },
      });
    }
  };

  // Ticks of 20 ms carry rate/50 commands each (fractions accumulate), so high rates stay smooth.
  let owed = 0;
  const tick = setInterval(() => {
    owed += rate / 50;
    while (owed >= 1 && !stopped) {
      owed--;
      step();
    }
  }, 20);
  return {
    get issued() {
      return issued;
    },
    stop() {
      stopped = true;
      clearInterval(tick);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      session.close();
    },
  };
}
