import assert from 'node:assert/strict';
import { createMemoryStore } from '@clusnotify/store';
import { createTokenStore, startClusterService, startWsServer } from '@clusnotify/server';
import type {
  ClusterService,
  ServerLimits,
  Session,
  TokenStore,
  WsServer,
} from '@clusnotify/server';
import type { Indication } from '@clusnotify/protocol';
import type { ClientPort, ConnectOptions } from '@clusnotify/client';
import { connect } from '@clusnotify/client';
import type { Client } from '@clusnotify/client';

/** A cluster service with a WebSocket server on a free loopback port. */
export interface TestCluster {
  readonly service: ClusterService;
  readonly tokens: TokenStore;
  readonly full: string;
  readonly read: string;
  server: WsServer | undefined;
  readonly url: string;
  readonly port: number;
  /** Stops the WebSocket server (the service keeps running). */
  stopServer(): Promise<void>;
  /** Starts a new WebSocket server on the same port with the same service. */
  startServer(): Promise<void>;
  /** One more WebSocket server of the same service and tokens, on a free port (the caller closes it). */
  anotherServer(limits?: Partial<ServerLimits>): Promise<WsServer>;
  /** A client connected with the full token (closed by `close`). */
  client(options?: Partial<ConnectOptions>): Promise<Client>;
  close(): Promise<void>;
}

export async function startCluster(): Promise<TestCluster> {
  const store = createMemoryStore();
  const service = await startClusterService({ store });
  const tokens = createTokenStore();
  const full = tokens.create('full');
  const read = tokens.create('read');
  const first = await startWsServer({ service, tokens, host: '127.0.0.1', port: 0 });
  const clients: Client[] = [];
  const c: TestCluster = {
    service,
    tokens,
    full,
    read,
    server: first,
    url: first.url,
    port: first.port,
    async stopServer() {
      const s = c.server;
      c.server = undefined;
      await s?.close();
    },
    async startServer() {
      c.server = await startWsServer({ service, tokens, host: '127.0.0.1', port: first.port });
    },
    anotherServer(limits = {}) {
      return startWsServer({ service, tokens, host: '127.0.0.1', port: 0, limits });
    },
    async client(options = {}) {
      const cl = await connect(c.url, {
        token: full,
        reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
        ...options,
      });
      clients.push(cl);
      return cl;
    },
    async close() {
      await Promise.all(clients.map((cl) => cl.close()));
      await c.server?.close();
      await service.close();
      await store.close();
    },
  };
  return c;
}

/** Runs a command on the service directly (no client), failing the test if it fails. */
export async function run(
  service: ClusterService,
  command: { type: string } & Record<string, unknown>,
): Promise<number> {
  const r = await service.openSession('full').execute(command as never);
  assert.equal(r.type, 'ok', JSON.stringify(r));
  return (r as { revision: number }).revision;
}

/** Reads `n` indications from a port, each within `timeoutMs`. */
export async function take(port: ClientPort, n: number, timeoutMs = 2000): Promise<Indication[]> {
  const out: Indication[] = [];
  while (out.length < n) {
    const r = await port.next({ timeoutMs });
    assert.equal(
      r.type,
      'indication',
      `expected ${n} indications, got ${out.length} then ${r.type}: ${JSON.stringify(out.map(brief))}`,
    );
    if (r.type === 'indication') out.push(r.indication);
  }
  return out;
}

/** Asserts that nothing more arrives within `ms`. */
export async function quiet(port: ClientPort, ms = 100): Promise<void> {
  const r = await port.next({ timeoutMs: ms });
  assert.equal(
    r.type,
    'timeout',
    r.type === 'indication' ? JSON.stringify(brief(r.indication)) : r.type,
  );
}

/** A short, comparable form of an indication. */
export function brief(i: Indication): string {
  return i.version === 1
    ? `${i.notifyKey}:0x${(i.filter >>> 0).toString(16)}:${i.name}`
    : `${i.notifyKey}:${i.filterAndType.objectType}/0x${i.filterAndType.filterFlags.toString(16)}:${i.name}`;
}

/** Resolves once `cond()` holds (polling), or fails after `timeoutMs`. */
export async function until(
  cond: () => boolean,
  timeoutMs = 3000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The server-side view of a port: a session port on the service itself (no socket). */
export interface Oracle {
  /** Everything queued so far, in order (v1: with exact state sequences). */
  drain(): Promise<Indication[]>;
}

/** A version-1 port registered directly on the service; `setup` adds its filters. */
export function oracleV1(
  service: ClusterService,
  setup: (s: Session, hNotify: string, hCluster: string) => void,
): Oracle {
  const s = service.openSession('read');
  const p = ok(s.createNotify()).handle;
  setup(s, p, ok(s.openCluster()).handle);
  return {
    async drain() {
      const out: Indication[] = [];
      for (;;) {
        const r = await s.getNotify(p, { timeoutMs: 0 });
        if (r.type !== 'ok') return out;
        out.push({
          version: 1,
          notifyKey: r.notifyKey,
          filter: r.filter,
          name: r.name,
          stateSequence: r.stateSequence,
          revision: r.revision,
          lost: undefined,
        });
      }
    },
  };
}

/** A version-2 port registered directly on the service. */
export function oracleV2(
  service: ClusterService,
  setup: (s: Session, hNotify: string, hCluster: string) => void,
): Oracle {
  const s = service.openSession('read');
  const p = ok(s.createNotifyV2()).handle;
  setup(s, p, ok(s.openCluster()).handle);
  return {
    async drain() {
      const out: Indication[] = [];
      for (;;) {
        const r = await s.getNotifyV2(p, { timeoutMs: 0 });
        if (r.type !== 'ok') return out;
        out.push(...r.notifications);
      }
    },
  };
}

export function ok<T extends { type: string }>(r: T): Extract<T, { type: 'ok' }> {
  assert.equal(r.type, 'ok', JSON.stringify(r));
  return r as Extract<T, { type: 'ok' }>;
}

/** Comparable form of an indication; `seq` includes the v1 state sequence. */
export function norm(i: Indication, seq = false): unknown {
  if (i.version === 1) {
    const base = {
      v: 1,
      key: i.notifyKey,
      filter: i.filter >>> 0,
      name: i.name,
      revision: i.revision,
    };
    return seq ? { ...base, seq: i.stateSequence } : base;
  }
  return {
    v: 2,
    key: i.notifyKey,
    type: i.filterAndType.objectType,
    flags: i.filterAndType.filterFlags,
    objectId: i.objectId,
    parentId: i.parentId,
    name: i.name,
    typeName: i.type,
    buffer: [...i.buffer],
    revision: i.revision,
  };
}

/** Reads until nothing arrives for `idleMs`. */
export async function drainPort(port: ClientPort, idleMs = 150): Promise<Indication[]> {
  const out: Indication[] = [];
  for (;;) {
    const r = await port.next({ timeoutMs: idleMs });
    if (r.type !== 'indication') return out;
    out.push(r.indication);
  }
}
