/**
 * `clusnotify watch`: opens a notification port and prints its indications as they come, until
 * Ctrl-C / SIGTERM (or `--count` indications). With `--since` the port is re-created on the
 * server from that revision (`resumeNotify`, docs/protocol.md §4), so the history after it is
 * replayed before the live indications.
 */
import { ClusnotifyError, ERROR_CATALOGUE, fromWireNotification } from '@clusnotify/protocol';
import type { ErrorCode, Indication, WireNotificationV2 } from '@clusnotify/protocol';
import type { CallResult } from '@clusnotify/client';
import type { Client } from '@clusnotify/client';
import { clusterView } from './cluster-view.js';
import type { CliKind } from './cluster-view.js';
import { indicationJson, indicationLine } from './indication-format.js';
import { UsageError } from './usage-error.js';
import {
  WATCH_CLASSES,
  parseClass,
  parseObject,
  portFilters,
  resumeFilters,
} from './watch-filters.js';
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

/** Most indications fetched per get on a resumed port. */
const BATCH = 256;

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
    if (o.since === undefined) await watchPort(client, version, specs, stop.signal, emit);
    else await watchResumed(client, version, specs, o.since, stop.signal, emit);
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
  signal: AbortSignal,
  emit: (i: Indication) => void,
): Promise<void> {
  const port = await client.openPort({ version, filters: portFilters(specs, version) });
  try {
    ready(version, specs.length);
    while (!signal.aborted) {
      let r;
      try {
        r = await port.next({ signal });
      } catch (e) {
        if (signal.aborted) break;
        throw e;
      }
      if (r.type === 'closed') break;
      if (r.type === 'indication') emit(r.indication);
    }
  } finally {
    await port.close();
  }
}

/** The kinds of `cluster-view` for the classes `--object` may name. */
const VIEW_KINDS: Partial<Record<WatchClass, CliKind>> = {
  node: 'node',
  group: 'group',
  resource: 'resource',
  network: 'network',
  netinterface: 'netinterface',
};

async function watchResumed(
  client: Client,
  version: 1 | 2,
  specs: readonly WatchSpec[],
  since: number,
  signal: AbortSignal,
  emit: (i: Indication) => void,
): Promise<void> {
  const view = specs.some((s) => s.kind === 'object')
    ? clusterView(await client.getClusterState())
    : undefined;
  const idOf = (cls: WatchClass, name: string): string => {
    const kind = VIEW_KINDS[cls];
    if (kind === undefined || view === undefined) return name; // resource types go by name
    const id = view.find(kind, name).id;
    return typeof id === 'string' ? id : name;
  };
  const filters = resumeFilters(specs, version, idOf);
  const r = await client.call('resumeNotify', { version, filters, afterRevision: since });
  if (r.type === 'compacted')
    throw new ClusnotifyError(
      'INVALID_ARGUMENT',
      `--since ${since}: the server no longer holds the history after that revision`,
    );
  if (r.type !== 'ok' || typeof r.handle !== 'string') throw failureOf('resumeNotify', r);
  const hNotify = r.handle;
  try {
    ready(version, specs.length);
    while (!signal.aborted) {
      let g;
      try {
        g = await client.call(
          version === 2 ? 'getNotifyV2' : 'getNotifyAsync',
          { hNotify, max: BATCH },
          { signal },
        );
      } catch (e) {
        if (signal.aborted) break;
        throw e;
      }
      if (g.type === 'ok') {
        const list = Array.isArray(g.notifications) ? (g.notifications as unknown[]) : [];
        for (const n of list)
          emit(version === 2 ? fromWireNotification(n as WireNotificationV2) : v1Of(n));
      } else if (g.type === 'error') {
        throw failureOf('getNotify', g);
      } else if (g.type !== 'timeout') break; // unblocked, cancelled, interrupted
    }
  } finally {
    // The port goes with the session anyway; closing it is a courtesy to the server.
    await client.call('closeNotify', { hNotify }).catch(() => undefined);
  }
}

/** A getNotifyAsync entry as a version-1 indication (that call carries no state sequence). */
function v1Of(n: unknown): Indication {
  const w = n as { notifyKey: number; filter: number; name: string; revision: number };
  return {
    version: 1,
    notifyKey: w.notifyKey,
    filter: w.filter,
    name: w.name,
    stateSequence: 0,
    revision: w.revision,
    lost: undefined,
  };
}

/** A failure result as a `ClusnotifyError` (an unknown code becomes INTERNAL). */
function failureOf(method: string, r: CallResult): ClusnotifyError {
  const code: ErrorCode =
    typeof r.code === 'string' && Object.hasOwn(ERROR_CATALOGUE, r.code)
      ? (r.code as ErrorCode)
      : 'INTERNAL';
  const message = typeof r.message === 'string' ? r.message : `${method} answered ${r.type}`;
  return new ClusnotifyError(code, message);
}
