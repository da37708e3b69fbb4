/**
 * The same workload on each system through its maintained Node client: a writer that publishes
 * a 120-byte payload per write, and watchers whose filter matches every write.
 *
 * - clusnotify: the writer sets a common property `BenchPayload` (the payload as a string) on
 *   the resource "FS Disk" (`resource.set-properties`); each watcher is a client with a version-2
 *   port holding one filter targeted at that resource, flag RESOURCE COMMON_PROPERTY_V2, read
 *   with `port.listen` (a callback per indication). Every indication carries the payload in its
 *   buffer (a PROPERTY_LIST: UTF-16, so 240 bytes of text), and its store revision, which resume
 *   works from.
 * - etcd: the writer puts `bench/value`; each watcher is a client watching the prefix `bench/`.
 * - Redis: the writer PUBLISHes on channel `bench`; each watcher is a client SUBSCRIBEd to it.
 * - NATS core: the writer publishes on `bench.value`; each watcher subscribes to `bench.>`.
 *
 * Every system's watchers are read through its callback or event listener (etcd's `put`
 * event, Redis's `message`, NATS's subscription callback, clusnotify's `listen`).
 *
 * By default every watcher has its own connection (for etcd a client per watcher with its own
 * gRPC subchannel: grpc-js would otherwise put every client in a process on one TCP
 * connection). With `--connections per-worker` the watchers of one worker process share one
 * connection, 250 watchers at most on each (Redis excepted, see {@link SHARES_CONNECTIONS}):
 * clusnotify ports on one session, etcd watches on one client's stream, NATS subscriptions on one
 * connection.
 */
import { Buffer } from 'node:buffer';
import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect as clusnotifyConnect } from '@clusnotify/client';
import { ClusterChangeResourceV2, ClusterObjectType } from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';

/**
 * The systems the benchmark knows; `clusnotify` runs on the memory store. `node-relay` is no
 * product but a floor: a Node WebSocket server that only relays (`floor-server.ts`,
 * `ws-pubsub`), run on request (`--systems`) to show what Node and this machine give any server
 * written in it.
 */
export type SystemName =
  'clusnotify' | 'clusnotify-sqlite' | 'etcd' | 'redis' | 'nats' | 'node-relay';

/** The systems a run has unless `--systems` says otherwise, in report order. */
export const SYSTEMS: readonly SystemName[] = [
  'clusnotify',
  'clusnotify-sqlite',
  'etcd',
  'redis',
  'nats',
];

/** Every system `--systems` takes. */
export const KNOWN_SYSTEMS: readonly SystemName[] = [...SYSTEMS, 'node-relay'];

/** How a system is named in the report. */
export const SYSTEM_LABELS: Readonly<Record<SystemName, string>> = {
  clusnotify: 'clusnotify (memory store)',
  'clusnotify-sqlite': 'clusnotify (SQLite store)',
  etcd: 'etcd watch',
  redis: 'Redis pub/sub',
  nats: 'NATS core',
  'node-relay': 'Node ws relay (floor)',
};

/** Where a started server listens. */
export interface Endpoint {
  readonly system: SystemName;
  /** ws://…/v1 (clusnotify), http://host:port (etcd), redis://host:port, host:port (NATS). */
  readonly url: string;
  /** clusnotify's full-access token. */
  readonly token?: string;
}

/** The writing side. `write` resolves when the system acknowledged the write. */
export interface Writer {
  write(payload: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * How watchers reach their server (`--connections`): each on a connection of its own, or all
 * the watchers of one worker process on one connection (where the system allows it, see
 * {@link SHARES_CONNECTIONS}).
 */
export type Sharing = 'per-watcher' | 'per-worker';

/** What a watcher reports besides payloads. */
export type WatchNote =
  | 'disconnected'
  | 'reconnected'
  /** clusnotify's lost-events indication reached the application. */
  | 'lost-indication';

/** The watching side. */
export interface Watcher {
  close(): Promise<void>;
}

const RESOURCE = 'FS Disk';
const PROPERTY = 'BenchPayload';
const ETCD_KEY = 'bench/value';
const ETCD_PREFIX = 'bench/';
const CHANNEL = 'bench';
const SUBJECT = 'bench.value';
const SUBJECT_FILTER = 'bench.>';

const etcdOptions = (url: string): ConstructorParameters<typeof Etcd3>[0] => ({
  hosts: url,
  grpcOptions: { 'grpc.use_local_subchannel_pool': 1 },
});

function clusnotifyUrl(ep: Endpoint): { url: string; token: string } {
  if (ep.token === undefined) throw new Error('clusnotify endpoint without a token');
  return { url: ep.url, token: ep.token };
}

/** A WebSocket to the `node-relay` floor that said what it is (`W` writer, `R` watcher). */
async function openRelaySocket(url: string, role: 'W' | 'R'): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => undefined);
  ws.send(role);
  return ws;
}

async function closeRelaySocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise((resolve) => {
    ws.once('close', resolve);
    ws.close();
  });
}

/** Opens the writer of `ep`'s system. */
export async function openWriter(ep: Endpoint): Promise<Writer> {
  switch (ep.system) {
    case 'node-relay': {
      const ws = await openRelaySocket(ep.url, 'W');
      const answered = new Map<number, () => void>();
      ws.on('message', (data: Buffer) => {
        const { id } = JSON.parse(data.toString('utf8')) as { id: number };
        answered.get(id)?.();
        answered.delete(id);
      });
      // The calls of one turn leave as one message, as clusnotify's client batches them.
      let calls: string[] = [];
      let nextId = 0;
      const flush = (): void => {
        ws.send(`[${calls.join(',')}]`);
        calls = [];
      };
      return {
        write(payload) {
          const id = ++nextId;
          if (calls.push(`{"id":${id},"p":${JSON.stringify(payload)}}`) === 1)
            queueMicrotask(flush);
          return new Promise((resolve) => answered.set(id, resolve));
        },
        close: () => closeRelaySocket(ws),
      };
    }
    case 'clusnotify':
    case 'clusnotify-sqlite': {
      const { url, token } = clusnotifyUrl(ep);
      const client = await clusnotifyConnect(url, { token, clientName: 'bench-writer' });
      return {
        async write(payload) {
          await client.execute({
            type: 'resource.set-properties',
            resource: RESOURCE,
            properties: { [PROPERTY]: payload },
          });
        },
        close: () => client.close(),
      };
    }
    case 'etcd': {
      const client = new Etcd3(etcdOptions(ep.url));
      await client.put(ETCD_KEY).value('start');
      return {
        async write(payload) {
          await client.put(ETCD_KEY).value(payload);
        },
        close: async () => {
          client.close();
          await Promise.resolve();
        },
      };
    }
    case 'redis': {
      const client = new Redis(ep.url, { lazyConnect: true });
      await client.connect();
      return {
        async write(payload) {
          await client.publish(CHANNEL, payload);
        },
        close: async () => {
          await client.quit();
        },
      };
    }
    case 'nats': {
      const nc = await natsConnect({ servers: ep.url, name: 'bench-writer' });
      // NATS core publishes without an answer. The writes issued in one event-loop turn share
      // one flush (PING/PONG), so "acknowledged" means the server has read them, and the
      // writer's in-flight bound holds here as for the others.
      let batch: Promise<void> | undefined;
      return {
        write(payload) {
          nc.publish(SUBJECT, payload);
          batch ??= (async () => {
            await Promise.resolve();
            batch = undefined;
            await nc.flush();
          })();
          return batch;
        },
        close: async () => {
          await nc.drain();
        },
      };
    }
  }
}

/**
 * One connection to `ep`'s system that watchers are opened on: each watcher on its own
 * connection (`--connections per-watcher`) or all of a worker's watchers on one
 * (`per-worker`). `watch`'s `onPayload` gets the text that holds the payload (for clusnotify the
 * decoded PROPERTY_LIST, which contains it); `onNote` gets the connection's events, once per
 * connection.
 */
export interface WatchConnection {
  /** Opens one more watcher on this connection (see {@link SHARES_CONNECTIONS}). */
  watch(onPayload: (text: string) => void): Promise<Watcher>;
  /** Closes the connection; its watchers are closed first. */
  close(): Promise<void>;
}

/**
 * Whether a system's watchers can share one connection and still each get their own delivery
 * from the server. Not Redis: a connection subscribed to a channel gets each message once,
 * however many listeners its client has, so a Redis watcher is a connection in both modes.
 */
export const SHARES_CONNECTIONS: Readonly<Record<SystemName, boolean>> = {
  clusnotify: true,
  'clusnotify-sqlite': true,
  etcd: true,
  redis: false,
  nats: true,
  'node-relay': false,
};

/** Opens a connection to `ep`'s system for watchers; `onNote` gets its connection events. */
export async function openWatchConnection(
  ep: Endpoint,
  onNote: (note: WatchNote) => void,
): Promise<WatchConnection> {
  const watchers: Watcher[] = [];
  const closeWatchers = async (): Promise<void> => {
    await Promise.allSettled(watchers.splice(0).map((w) => w.close()));
  };
  switch (ep.system) {
    case 'node-relay': {
      const ws = await openRelaySocket(ep.url, 'R');
      ws.on('close', () => onNote('disconnected'));
      let watching = false;
      return {
        async watch(onPayload) {
          if (watching)
            throw new Error('a relay connection holds one watcher (SHARES_CONNECTIONS)');
          watching = true;
          ws.on('message', (data: Buffer) => onPayload(data.toString('latin1')));
          await Promise.resolve();
          return { close: () => closeRelaySocket(ws) };
        },
        close: () => closeRelaySocket(ws),
      };
    }
    case 'clusnotify':
    case 'clusnotify-sqlite': {
      const { url, token } = clusnotifyUrl(ep);
      const client = await clusnotifyConnect(url, { token, clientName: 'bench-watcher' });
      client.onStateChange((s) => {
        if (s === 'reconnecting') onNote('disconnected');
        else if (s === 'open') onNote('reconnected');
      });
      return {
        async watch(onPayload) {
          const port = await client.openPort({
            version: 2,
            filters: [
              {
                kind: 'v2',
                objectType: ClusterObjectType.RESOURCE,
                filterFlags: ClusterChangeResourceV2.COMMON_PROPERTY,
                notifyKey: 1,
                name: RESOURCE,
              },
            ],
          });
          const onIndication = (ind: Indication): void => {
            if (ind.version !== 2) return;
            if (ind.lost !== undefined) {
              onNote('lost-indication');
              return;
            }
            const b = ind.buffer;
            onPayload(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf16le'));
          };
          // The client's callback reading (ClientPort.listen), as every peer here is read
          // through its callback or event listener: no promise per indication.
          port.listen(onIndication);
          const w: Watcher = {
            async close() {
              await port.close();
            },
          };
          watchers.push(w);
          return w;
        },
        async close() {
          await closeWatchers();
          await client.close();
        },
      };
    }
    case 'etcd': {
      // With one watcher per connection, a client per watcher with its own gRPC subchannel;
      // shared, the client's watchers share its one watch stream, each with its own watch id.
      const client = new Etcd3(etcdOptions(ep.url));
      let noted = false;
      return {
        async watch(onPayload) {
          const w = await client.watch().prefix(ETCD_PREFIX).create();
          w.on('put', (kv) => onPayload(kv.value.toString('latin1')));
          if (!noted) {
            // The stream is the connection: its events once, from its first watcher.
            noted = true;
            w.on('disconnected', () => onNote('disconnected'));
            w.on('connected', () => onNote('reconnected'));
            w.on('error', () => onNote('disconnected'));
          } else w.on('error', () => undefined);
          const watcher: Watcher = {
            async close() {
              await w.cancel();
            },
          };
          watchers.push(watcher);
          return watcher;
        },
        async close() {
          await closeWatchers();
          client.close();
        },
      };
    }
    case 'redis': {
      const client = new Redis(ep.url, { lazyConnect: true });
      await client.connect();
      client.on('close', () => onNote('disconnected'));
      client.on('ready', () => onNote('reconnected'));
      client.on('error', () => undefined);
      let watching = false;
      return {
        async watch(onPayload) {
          if (watching)
            throw new Error('a Redis connection holds one watcher (SHARES_CONNECTIONS)');
          watching = true;
          client.on('message', (_ch: string, msg: string) => onPayload(msg));
          await client.subscribe(CHANNEL);
          return { close: () => client.unsubscribe(CHANNEL).then(() => undefined) };
        },
        async close() {
          client.disconnect();
          await Promise.resolve();
        },
      };
    }
    case 'nats': {
      const nc = await natsConnect({
        servers: ep.url,
        name: 'bench-watcher',
        maxReconnectAttempts: -1,
      });
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect') onNote('disconnected');
          else if (s.type === 'reconnect') onNote('reconnected');
        }
      })();
      return {
        async watch(onPayload) {
          const sub = nc.subscribe(SUBJECT_FILTER, {
            callback: (err, msg) => {
              if (err === null) onPayload(msg.string());
            },
          });
          await nc.flush();
          const w: Watcher = {
            async close() {
              sub.unsubscribe();
              await Promise.resolve();
            },
          };
          watchers.push(w);
          return w;
        },
        async close() {
          await closeWatchers();
          await nc.close();
        },
      };
    }
  }
}

/** Opens one watcher on a connection of its own; closing it closes the connection. */
export async function openWatcher(
  ep: Endpoint,
  onPayload: (text: string) => void,
  onNote: (note: WatchNote) => void,
): Promise<Watcher> {
  const c = await openWatchConnection(ep, onNote);
  try {
    await c.watch(onPayload);
  } catch (e) {
    await c.close();
    throw e;
  }
  return { close: () => c.close() };
}
