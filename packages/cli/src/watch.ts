/**
 * `clusnotify watch`: opens a notification port and prints its indications as they come, until
 * Ctrl-C / SIGTERM (or `--count` indications). With `--since` the port starts at that revision
 * (`openPort({ sinceRevision })`, docs/protocol.md §4): the history after it comes first, then
 * live indications; like any port it survives reconnects without loss.
 */
import type { Indication } from '@clusnotify/protocol';
import type { Client } from '@clusnotify/client';
import { indicationJson, indicationLine } from './indication-format.js';
import { UsageError } from './usage-error.js';
import { WATCH_CLASSES, parseClass, parseObject, portFilters } from './watch-filters.js';
import type { WatchClass, WatchSpec } from './watch-filters.js';

/** Options of {@link watch} (the command's flags). */
export interface WatchOptions {
  readonly v1?: boolean;
  readonly class?: readonly string[];
  readonly object?: readonly string[];
  readonly key?: string;
  readonly subtree?: boolean;
  readonly json?: boolean;
  /** Resume from this store revision: replay what came after it. */
  readonly since?: number;
  /** Stop after this many indications. */
  readonly count?: number;
}

/** What `--class`, `--object` and `--key` ask for; every class when none is given. */
export function watchSpecs(o: WatchOptions, version: 1 | 2): WatchSpec[] {
  if (o.subtree === true && o.key === undefined) throw new UsageError('--subtree goes with --key');
  const specs: WatchSpec[] = [
    ...(o.class ?? []).map((c): WatchSpec => ({ kind: 'class', cls: parseClass(c) })),
    ...(o.object ?? []).map((v) => parseObject(v, version)),
    ...(o.key === undefined
      ? []
      : [{ kind: 'key' as const, path: o.key, subtree: o.subtree === true }]),
  ];
  if (specs.length > 0) return specs;
  return (Object.keys(WATCH_CLASSES) as WatchClass[]).map((cls) => ({ kind: 'class', cls }));
}

/** Watches until a signal, `--count` or the port closing; closes the port before returning. */
export async function watch(client: Client, o: WatchOptions): Promise<void> {
  const version = o.v1 === true ? 1 : 2;
  const specs = watchSpecs(o, version);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new Error('stopped by signal'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let seen = 0;
  const emit = (i: Indication): void => {
    if (stop.signal.aborted) return;
    process.stdout.write(
      `${o.json === true ? JSON.stringify(indicationJson(i)) : indicationLine(i, new Date())}\n`,
    );
    seen += 1;
    if (o.count !== undefined && seen >= o.count) stop.abort(new Error('count reached'));
  };
  try {
    await watchPort(client, version, specs, o.since, stop.signal, emit);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function ready(version: 1 | 2, filters: number): void {
  process.stderr.write(
    `clusnotify: watching with ${filters} filter${filters === 1 ? '' : 's'} on a version-${version} port (Ctrl-C stops)\n`,
  );
}

async function watchPort(
  client: Client,
  version: 1 | 2,
  specs: readonly WatchSpec[],
  since: number | undefined,
  signal: AbortSignal,
  emit: (i: Indication) => void,
): Promise<void> {
  const port = await client.openPort({
    version,
    filters: portFilters(specs, version),
    ...(since === undefined ? {} : { sinceRevision: since }),
  });
  // Why the client closed itself, if it did (its token revoked: AUTH_FAILED, D42): the port
  // then reads `closed`, and the watch ends with that error instead of as if it was done.
  let closedBy: Error | undefined;
  const unsubscribe = client.onStateChange((state, reason) => {
    if (state === 'closed' && reason !== undefined) closedBy = reason;
  });
  try {
    ready(version, specs.length);
    while (!signal.aborted) {
      let r;
      try {
        r = await port.next({ signal });
      } catch (e) {
        if (signal.aborted) break;
        throw closedBy ?? e;
      }
      if (r.type === 'closed') break;
      if (r.type === 'indication') emit(r.indication);
    }
    if (closedBy !== undefined) throw closedBy;
  } finally {
    unsubscribe();
    await port.close();
  }
}
