/**
 * Model benchmark: how the cost of one resource state command grows with the cluster. Builds
 * clusters of groups of 5 resources (each depending on the one before it, so taking one
 * offline also takes its dependents offline), then times `apply` alone on
 * alternating `resource.online` / `resource.offline` commands spread over the groups. Prints
 * µs per command for each cluster size and the ratio to the smallest one.
 *
 * Run: `npm run build && node packages/core/dist/bench/model.bench.js`. Options:
 * `--resources N,N,…` (default 100,10000), `--commands N` (default 4000), `--runs N` (default
 * 3; medians), `--json`.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { apply, emptyClusterState } from '@clusnotify/core';
import type { ClusterState, Command } from '@clusnotify/core';

const { values: args } = parseArgs({
  options: {
    resources: { type: 'string', default: '100,10000' },
    commands: { type: 'string', default: '4000' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const SIZES = args.resources.split(',').map(Number);
const COMMANDS = Number(args.commands);
const RUNS = Number(args.runs);
const PER_GROUP = 5;

const guid = (kind: number, n: number): string =>
  `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function must(state: ClusterState, command: Command): ClusterState {
  const r = apply(state, command);
  if (r.type !== 'ok') throw new Error(`${JSON.stringify(command)}: ${r.message}`);
  return r.state;
}

/** Two nodes, one resource type, `resources / 5` groups of 5 chained resources, all offline. */
function build(resources: number): ClusterState {
  let s = emptyClusterState({ id: guid(0, 0), name: 'BENCH' });
  s = must(s, { type: 'node.create', id: guid(1, 1), name: 'NODE1' });
  s = must(s, { type: 'node.create', id: guid(1, 2), name: 'NODE2' });
  s = must(s, { type: 'restype.create', name: 'Generic Service', dllName: 'clusres.dll' });
  for (let g = 0; g < resources / PER_GROUP; g++) {
    s = must(s, { type: 'group.create', id: guid(2, g), name: `G${g}`, node: 'NODE1' });
    for (let i = 0; i < PER_GROUP; i++) {
      const n = g * PER_GROUP + i;
      s = must(s, {
        type: 'resource.create',
        id: guid(3, n),
        name: `R${n}`,
        resourceType: 'Generic Service',
        group: `G${g}`,
        dependencies: i === 0 ? [] : [`R${n - 1}`],
      });
    }
  }
  return s;
}

/**
 * Online then offline the same resource, moving through the groups. It is the middle one of
 * its chain: online first brings the two it depends on online, offline first visits the two
 * that depend on it.
 */
function commands(resources: number): Command[] {
  const out: Command[] = [];
  const groups = resources / PER_GROUP;
  for (let i = 0; out.length < COMMANDS; i++) {
    const r = `R${((i * 7919) % groups) * PER_GROUP + 2}`;
    out.push({ type: 'resource.online', resource: r }, { type: 'resource.offline', resource: r });
  }
  return out;
}

/** µs per command over one pass of `cmds`. */
function timeOnce(start: ClusterState, cmds: readonly Command[]): number {
  let s = start;
  const t0 = performance.now();
  for (const c of cmds) s = must(s, c);
  return ((performance.now() - t0) * 1000) / cmds.length;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

const rows: { resources: number; groups: number; usPerCommand: number; runs: number[] }[] = [];
for (const size of SIZES) {
  const state = build(size);
  const cmds = commands(size);
  timeOnce(state, cmds); // warm-up: one untimed pass
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(timeOnce(state, cmds));
  rows.push({ resources: size, groups: size / PER_GROUP, usPerCommand: median(runs), runs });
}

if (args.json) {
  console.log(JSON.stringify(rows));
} else {
  const base = rows[0]?.usPerCommand ?? 1;
  for (const r of rows) {
    console.log(
      `${r.resources} resources / ${r.groups} groups: ${r.usPerCommand.toFixed(1)} µs per command ` +
        `(median of ${r.runs.map((x) => x.toFixed(1)).join(', ')}), ${(r.usPerCommand / base).toFixed(2)}× the first`,
    );
  }
}
