/**
 * Liveness of the daemons that share one etcd (decisions D34): each daemon holds a lease and,
 * under it, the key `P members/NODE` of the cluster node it runs. When a daemon dies its lease
 * expires, etcd deletes the key, and every surviving daemon commits `node.down` for that node:
 * the commits are guarded on the store's revision and the model makes `node.down` of a node
 * that is already down a no-op, so the node goes down — and its groups fail over — exactly once
 * whichever daemons survive.
 */
import { Buffer } from 'node:buffer';
import { ClusnotifyError, ClusterNodeState } from '@clusnotify/protocol';
import type { EtcdStore } from '@clusnotify/store';
import type { ClusterService } from './cluster-service.js';

/** Waits for `promise` to settle, at most `ms`; never rejects. */
async function within(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise?.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Options of {@link startMembership}. */
export interface MembershipOptions {
  readonly service: ClusterService;
  /** The service's store (shared, etcd). */
  readonly store: EtcdStore;
  /** The cluster node this daemon runs; must be a node of the cluster. */
  readonly nodeName: string;
  /** Lease time to live in seconds: how long a dead daemon's node stays up (default 3). */
  readonly ttlSeconds?: number;
  /** Told of what membership does (joins, nodes taken down, lost leases). */
  readonly onEvent?: (event: MembershipEvent) => void;
}

/** What {@link MembershipOptions.onEvent} hears. */
export type MembershipEvent =
  | { readonly type: 'joined'; readonly node: string }
  | { readonly type: 'member-gone'; readonly node: string; readonly outcome: string }
  | { readonly type: 'lease-lost'; readonly node: string; readonly message: string };

/** A daemon's place in the cluster; {@link Membership.close} leaves it. */
export interface Membership {
  /** The node names whose daemons hold a live lease now (as last seen). */
  readonly members: ReadonlySet<string>;
  /** Revokes the lease (the node goes down on the other daemons) and stops watching. */
  close(): Promise<void>;
}

/** The error {@link startMembership} throws; `code` (in the error catalogue) says why. */
export class MembershipError extends ClusnotifyError {
  declare readonly code: 'NODE_NOT_FOUND' | 'NODE_NAME_IN_USE';
  constructor(code: 'NODE_NOT_FOUND' | 'NODE_NAME_IN_USE', message: string) {
    super(code, message);
    this.name = 'MembershipError';
  }
}

/**
 * Joins the cluster as `nodeName`: takes a lease, claims the node's member key (refused with
 * `NODE_NAME_IN_USE` when another daemon still holds it after the lease time to live plus 2 s,
 * the time a killed daemon's lease takes to expire), brings the node up in the model if
 * it is down, and from then on takes down the nodes whose daemons' leases expire. Throws
 * `MembershipError` `NODE_NOT_FOUND` when the cluster has no such node, or the store's error
 * when etcd fails.
 */
export async function startMembership(options: MembershipOptions): Promise<Membership> {
  const { service, store, nodeName } = options;
  const client = store.client;
  const node = [...service.state.nodes.values()].find(
    (n) => n.name.toLowerCase() === nodeName.toLowerCase(),
  );
  if (node === undefined)
    throw new MembershipError(
      'NODE_NOT_FOUND',
      `--node-name ${nodeName} is not a node of cluster ${service.state.cluster.name} (nodes: ${[
        ...service.state.nodes.values(),
      ]
        .map((n) => n.name)
        .join(', ')})`,
    );
  const name = node.name;
  const prefix = `${store.prefix}members/`;
  const myKey = Buffer.from(`${prefix}${name}`);
  const ttl = options.ttlSeconds ?? 3;
  const members = new Set<string>();
  const emit = options.onEvent ?? (() => undefined);
  let closed = false;

  const claim = async (): Promise<ReturnType<typeof client.lease>> => {
    const lease = client.lease(ttl);
    lease.on('lost', (error) => {
      if (closed) return;
      emit({ type: 'lease-lost', node: name, message: error.message });
      // The others took this node down; claim it again and come back up.
      void rejoin();
    });
    const id = await lease.grant();
    const r = await client.kv.txn({
      compare: [{ key: myKey, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [
        {
          request_put: {
            key: myKey,
            value: Buffer.from(JSON.stringify({ pid: process.pid })),
            lease: id,
          },
        },
      ],
    });
    if (!r.succeeded) {
      await lease.revoke();
      throw new MembershipError(
        'NODE_NAME_IN_USE',
        `node ${name} is already run by a live daemon (its lease has not expired)`,
      );
    }
    return lease;
  };

  // A daemon restarted right after it was killed finds its old key until that lease expires.
  const claimDeadline = Date.now() + (ttl + 2) * 1_000;
  let lease: Awaited<ReturnType<typeof claim>> | undefined;
  while (lease === undefined) {
    try {
      lease = await claim();
    } catch (error) {
      if (!(error instanceof MembershipError) || Date.now() > claimDeadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  let rejoining: Promise<void> | undefined;
  const rejoin = (): Promise<void> =>
    (rejoining ??= (async () => {
      while (!closed) {
        try {
          lease = await claim();
          await up();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      rejoining = undefined;
    })());
  const up = async (): Promise<void> => {
    const r = await service.execute({ type: 'node.up', node: name });
    if (r.type === 'error') throw new Error(`node.up ${name}: ${r.code} ${r.message}`);
    emit({ type: 'joined', node: name });
  };
  await up();

  const nodeOf = (key: Buffer): string => key.subarray(Buffer.byteLength(prefix)).toString('utf8');
  const watcher = await client.watch().prefix(prefix).create();
  watcher.on('put', (kv) => {
    members.add(nodeOf(kv.key));
  });
  watcher.on('delete', (kv) => {
    const gone = nodeOf(kv.key);
    members.delete(gone);
    if (closed || gone === name) return;
    void (async () => {
      // Several daemons race here; the revision guard and the model make it happen once.
      for (let attempt = 0; attempt < 20 && !closed; attempt++) {
        // A daemon for that node may have claimed it again already.
        if (members.has(gone)) return;
        const r = await service.execute({ type: 'node.down', node: gone });
        if (r.type === 'ok') {
          emit({
            type: 'member-gone',
            node: gone,
            outcome: r.changes.length > 0 ? `down at revision ${r.revision}` : 'already down',
          });
          return;
        }
        if (r.code !== 'STORE_UNAVAILABLE') {
          emit({ type: 'member-gone', node: gone, outcome: `${r.code} ${r.message}` });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
  });
  const listed = await client.getAll().prefix(prefix).keys();
  for (const k of listed) members.add(k.slice(prefix.length));

  // A survivor may take this node down just after this daemon claimed it again (it saw the old
  // lease expire): while this daemon holds the node, a node found down is brought back up.
  const reconcile = setInterval(() => {
    if (closed || rejoining !== undefined) return;
    const mine = service.state.nodes.get(node.id);
    if (mine?.state === ClusterNodeState.DOWN) void up().catch(() => undefined);
  }, 500);
  reconcile.unref();

  return {
    members,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(reconcile);
      // Both wait for etcd; when it is away the lease simply expires.
      await within(watcher.cancel(), 1_000);
      await within(lease?.revoke(), 2_000);
    },
  };
}
