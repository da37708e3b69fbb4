import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import {
  ClusterChange,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
  BINARY_NOTIFY_GROUP,
  parseBinaryNotifyMessage,
  sameObject,
} from '@clusnotify/protocol';
import type { BinaryNotifyFrame, NotifyFrame, ServerFrame, WireResult } from '@clusnotify/protocol';
import { createMemoryStore } from '@clusnotify/store';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMetrics,
  createTokenStore,
  openTokenFile,
  startClusterService,
  startWsServer,
} from '@clusnotify/server';
import type { ClusterService, ServerLimits, TokenStore, WsServer } from '@clusnotify/server';
import { testIds } from './helpers.js';

/** A raw protocol peer: sends frames, collects what comes back. */
class Peer {
  readonly frames: ServerFrame[] = [];
  /** Text frames as they came, unparsed. */
  readonly texts: string[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];
  private nextId = 1;
  /** Binary notify frames (D53), as read by the protocol's decoder; a grouped frame's batches each. */
  readonly binary: (BinaryNotifyFrame | { readonly malformed: string })[] = [];
  /** Grouped frames (D55) as they came: their batches and their length in bytes. */
  readonly grouped: { readonly batches: readonly BinaryNotifyFrame[]; readonly bytes: number }[] =
    [];
  /** Kind-1 binary frames as they came: their port handle and bytes. */
  readonly single: { readonly h: string; readonly bytes: Buffer }[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d, isBinary) => {
      if (isBinary) {
        const m = parseBinaryNotifyMessage(d as Buffer);
        if ('malformed' in m) this.binary.push(m);
        else {
          this.binary.push(...m);
          if ((d as Buffer)[0] === BINARY_NOTIFY_GROUP)
            this.grouped.push({ batches: m, bytes: (d as Buffer).length });
          else this.single.push({ h: (m[0] as BinaryNotifyFrame).h, bytes: d as Buffer });
        }
      } else {
        const text = (d as Buffer).toString('utf8');
        this.texts.push(text);
        this.frames.push(JSON.parse(text) as ServerFrame);
      }
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  static async open(url: string): Promise<Peer> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Peer(ws);
  }
  async until<T>(pick: () => T | undefined, ms = 3000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pick();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
  async hello(token: string): Promise<ServerFrame> {
    this.send({ t: 'hello', v: 1, token, client: 'test' });
    return this.until(() => this.frames.find((f) => f.t === 'welcome' || f.t === 'error'));
  }
  async call(m: string, p: unknown = {}): Promise<WireResult & Record<string, unknown>> {
    const id = this.nextId++;
    this.send({ t: 'call', id, m, p });
    const f = await this.until(() => this.frames.find((x) => x.t === 'result' && x.id === id));
    return (f as unknown as { r: WireResult & Record<string, unknown> }).r;
  }
  closed(): Promise<number> {
    return this.until(() => this.closeCode);
  }
  end(): void {
    this.ws.close();
  }
}

describe('the WebSocket server (docs/protocol.md)', () => {
  let service: ClusterService;
  let tokens: TokenStore;
  let server: WsServer;
  let full: string;
  let read: string;
  before(async () => {
    service = await startClusterService({
      store: createMemoryStore(),
      newId: testIds(),
      engine: { maxQueuedPerPort: 512 },
    });
    tokens = createTokenStore();
    full = tokens.create('full');
    read = tokens.create('read');
    server = await startWsServer({
      service,
      tokens,
      port: 0,
      limits: { maxFrameBytes: 4096, helloTimeoutMs: 300 },
    });
  });
  after(async () => {
    await server.close();
    await service.close();
  });

  test('a client says hello, registers a v2 filter and reads what another session does', async () => {
    const a = await Peer.open(server.url);
    const welcome = await a.hello(read);
    assert.equal(welcome.t, 'welcome');
    assert.equal(welcome.t === 'welcome' && welcome.access, 'read');
    const hc = (await a.call('openCluster')).handle as string;
    const p = (await a.call('createNotifyV2')).handle as string;
    assert.equal(
      (
        await a.call('addNotifyV2', {
          hNotify: p,
          hObject: hc,
          filter: { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
          notifyKey: 9,
          version: 2,
          isTargetedAtObject: false,
        })
      ).status,
      0,
    );
    const pending = a.call('getNotifyV2', { hNotify: p });
    const b = await Peer.open(server.url);
    await b.hello(full);
    const done = await b.call('execute', {
      command: { type: 'resource.offline', resource: 'SQL Disk' },
    });
    assert.equal(done.type, 'ok', JSON.stringify(done));
    const got = await pending;
    const list = got.notifications as {
      notifyKey: number;
      name: string;
      buffer: string;
      revision: number;
    }[];
    assert.ok(list.length >= 1);
    assert.ok(
      list.every((n) => n.notifyKey === 9 && typeof n.buffer === 'string' && n.revision > 0),
    );
    assert.ok(list.some((n) => n.name === 'SQL Disk'));
    a.end();
    b.end();
  });

  test('a read token may not mutate: ERROR_ACCESS_DENIED, and the connection stays open', async () => {
    const a = await Peer.open(server.url);
    await a.hello(read);
    const r = await a.call('execute', { command: { type: 'node.pause', node: 'NODE1' } });
    assert.deepEqual([r.type, r.status, r.code], ['error', 5, 'ACCESS_DENIED']);
    assert.equal((await a.call('openCluster')).status, 0);
    a.end();
  });

  test('a mutation answers with its revision; execute adds its change records when asked (D49)', async () => {
    const a = await Peer.open(server.url);
    await a.hello(full);
    const plain = await a.call('execute', {
      command: { type: 'resource.offline', resource: 'FS Disk' },
    });
    assert.deepEqual(Object.keys(plain).sort(), ['revision', 'status', 'type']);
    // Written from a template, not by JSON.stringify: the same text all the same.
    const raw = a.texts.at(-1) as string;
    const { id } = JSON.parse(raw) as { id: number };
    assert.equal(
      raw,
      JSON.stringify({ t: 'result', id, r: { type: 'ok', status: 0, revision: plain.revision } }),
    );
    const asked = await a.call('execute', {
      command: { type: 'resource.online', resource: 'FS Disk' },
      changes: true,
    });
    assert.equal(asked.type, 'ok', JSON.stringify(asked));
    assert.ok((asked.revision as number) > (plain.revision as number));
    const steps = (asked.changes as { type: string; name?: string }[]).filter(
      (c) => c.type === 'resource-state' && c.name === 'FS Disk',
    );
    assert.ok(steps.length >= 1, JSON.stringify(asked.changes));
    const hg = (await a.call('openGroup', { name: 'SQL Group' })).handle as string;
    const moved = await a.call('moveGroup', { hGroup: hg });
    assert.deepEqual(Object.keys(moved).sort(), ['revision', 'status', 'type']);
    const bad = await a.call('execute', {
      command: { type: 'resource.online', resource: 'FS Disk' },
      changes: 'yes',
    });
    assert.deepEqual([bad.type, bad.code], ['error', 'INVALID_ARGUMENT']);
    a.end();
  });

  test('a wrong token gets AUTH_FAILED and close 4001', async () => {
    const a = await Peer.open(server.url);
    const f = await a.hello('cn_f_wrong');
    assert.deepEqual(f.t === 'error' && [f.code, f.status], ['AUTH_FAILED', 5]);
    assert.equal(await a.closed(), 4001);
  });

  for (const [what, frame] of [
    ['invalid JSON', '{"t":"hello",'],
    ['an unknown frame type', { t: 'bogus' }],
    ['a call before hello', { t: 'call', id: 1, m: 'openCluster', p: {} }],
    ['a hello of another version', { t: 'hello', v: 9, token: 'x' }],
    ['a batch before hello', [{ t: 'call', id: 1, m: 'openCluster', p: {} }]],
  ] as const) {
    test(`${what} is a malformed frame: coded error and close 4002`, async () => {
      const a = await Peer.open(server.url);
      a.send(frame);
      const f = await a.until(() => a.frames.find((x) => x.t === 'error'));
      assert.deepEqual(f.t === 'error' && f.code, 'MALFORMED_FRAME');
      assert.equal(await a.closed(), 4002);
    });
  }

  describe('batch messages (D54)', () => {
    const stateOf = (name: string): number | undefined =>
      [...service.state.resources.values()].find((r) => r.name === name)?.state;
    const execute = (id: number, type: string, resource: string): object => ({
      t: 'call',
      id,
      m: 'execute',
      p: { command: { type, resource } },
    });

    test("the welcome lists batch; a batch's frames are handled in order, as if each came alone", async () => {
      const a = await Peer.open(server.url);
      const welcome = await a.hello(full);
      assert.ok(welcome.t === 'welcome' && welcome.features?.includes('batch'));
      const p = (await a.call('createNotify')).handle as string;
      a.send([
        { t: 'call', id: 101, m: 'openCluster' },
        { t: 'call', id: 102, m: 'closeNotify', p: { hNotify: 'deadbeef' } },
        execute(103, 'resource.offline', 'FS Disk'),
        execute(104, 'resource.online', 'FS Disk'),
        execute(105, 'resource.offline', 'FS Disk'),
        // A parked get and its cancel, in the same batch.
        { t: 'call', id: 106, m: 'getNotify', p: { hNotify: p, timeoutMs: 5000 } },
        { t: 'cancel', id: 106 },
      ]);
      const result = async (id: number): Promise<WireResult & Record<string, unknown>> => {
        const f = await a.until(() => a.frames.find((x) => x.t === 'result' && x.id === id));
        return (f as unknown as { r: WireResult & Record<string, unknown> }).r;
      };
      assert.equal((await result(101)).type, 'ok');
      assert.equal((await result(102)).code, 'OBJECT_NOT_FOUND');
      const revisions: number[] = [];
      for (const id of [103, 104, 105]) {
        const r = await result(id);
        assert.equal(r.type, 'ok');
        revisions.push(r.revision as number);
      }
      assert.deepEqual(
        revisions,
        [...revisions].sort((x, y) => x - y),
      );
      assert.equal(stateOf('FS Disk'), 3, 'offline, online, offline: offline');
      assert.deepEqual(await result(106), { type: 'cancelled', status: 1 });
      assert.equal(a.closeCode, undefined);
      // Put back for the other tests.
      assert.equal(
        (await a.call('execute', { command: { type: 'resource.online', resource: 'FS Disk' } }))
          .type,
        'ok',
      );
      a.end();
    });

    // The malformed item comes last: the ones before it are not handled either.
    const first = execute(1, 'resource.offline', 'SQL Disk');
    for (const [what, batch] of [
      ['an empty batch', []],
      ['a batch holding a hello', [first, { t: 'hello', v: 1, token: 'x' }]],
      ['a batch holding a frame of an unknown type', [first, { t: 'bogus' }]],
      ['a batch holding a batch', [first, [{ t: 'call', id: 9, m: 'openCluster' }]]],
    ] as const) {
      test(`${what} is malformed: close 4002, and none of its frames is handled`, async () => {
        const a = await Peer.open(server.url);
        await a.hello(full);
        const before = stateOf('SQL Disk');
        a.send(batch);
        const f = await a.until(() => a.frames.find((x) => x.t === 'error'));
        assert.equal(f.t === 'error' && f.code, 'MALFORMED_FRAME');
        assert.equal(await a.closed(), 4002);
        assert.equal(stateOf('SQL Disk'), before);
        assert.equal(
          a.frames.find((x) => x.t === 'result'),
          undefined,
        );
      });
    }
  });

  test('a binary frame is malformed', async () => {
    const a = await Peer.open(server.url);
    a.ws.send(Buffer.from([1, 2, 3]));
    assert.equal(await a.closed(), 4002);
  });

  test('an oversized frame gets FRAME_TOO_LARGE and close 4009; other sessions keep working', async () => {
    const other = await Peer.open(server.url);
    await other.hello(read);
    const a = await Peer.open(server.url);
    await a.hello(read);
    a.send({ t: 'call', id: 1, m: 'openNode', p: { name: 'x'.repeat(5000) } });
    const f = await a.until(() => a.frames.find((x) => x.t === 'error'));
    assert.equal(f.t === 'error' && f.code, 'FRAME_TOO_LARGE');
    assert.equal(await a.closed(), 4009);
    assert.equal((await other.call('openNode', { name: 'NODE1' })).status, 0);
    other.end();
  });

  test('unknown methods, wrong parameters and unknown handles are coded results, not closes', async () => {
    const a = await Peer.open(server.url);
    await a.hello(read);
    const r1 = await a.call('noSuchMethod');
    assert.deepEqual([r1.code, r1.status], ['INVALID_ARGUMENT', 0x57]);
    const r2 = await a.call('openNode', { name: 42 });
    assert.deepEqual([r2.code, r2.status], ['INVALID_ARGUMENT', 0x57]);
    const r3 = await a.call('closeNotify', { hNotify: 'deadbeef' });
    assert.deepEqual([r3.code, r3.status], ['OBJECT_NOT_FOUND', 6]);
    const r4 = await a.call('addNotifyV2', {
      hNotify: 'x',
      hObject: 'y',
      filter: { objectType: 2, filterFlags: 8 },
      notifyKey: -1,
      version: 2,
      isTargetedAtObject: false,
    });
    assert.equal(r4.code, 'INVALID_ARGUMENT');
    assert.equal(a.closeCode, undefined);
    a.end();
  });

  test('a connection that never says hello is closed with 4008', async () => {
    const a = await Peer.open(server.url);
    assert.equal(await a.closed(), 4008);
  });

  test('a cancel frame ends a parked get with "cancelled"; closing the connection frees its ports', async () => {
    const a = await Peer.open(server.url);
    await a.hello(read);
    const p = (await a.call('createNotify')).handle as string;
    const hc = (await a.call('openCluster')).handle as string;
    await a.call('addNotifyCluster', { hNotify: p, hCluster: hc, filter: 0x1, notifyKey: 1 });
    a.send({ t: 'call', id: 77, m: 'getNotify', p: { hNotify: p } });
    await new Promise((r) => setTimeout(r, 20));
    a.send({ t: 'cancel', id: 77 });
    const f = await a.until(() => a.frames.find((x) => x.t === 'result' && x.id === 77));
    assert.deepEqual(f.t === 'result' && f.r, { type: 'cancelled', status: 1 });
    const ports = service.engine.stats().ports;
    a.end();
    await a.closed();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(service.engine.stats().ports, ports - 1);
  });

  test('/healthz and /metrics answer on the same port', async () => {
    const base = server.url.replace('ws://', 'http://').replace('/v1', '');
    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { status: string }).status, 'ok');
    const m = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'clusnotify_sessions',
      'clusnotify_ports',
      'clusnotify_queued_indications',
      'clusnotify_indications_delivered_total',
      'clusnotify_indications_dropped_total',
      'clusnotify_revision',
      'clusnotify_commit_latency_seconds',
    ]) {
      assert.ok(m.includes(name), name);
    }
    // The resume window: from the oldest revision held to the current one.
    const oldest = Number(/^clusnotify_history_oldest_revision (\d+)$/m.exec(m)?.[1]);
    const current = Number(/^clusnotify_revision (\d+)$/m.exec(m)?.[1]);
    assert.ok(oldest >= 1 && oldest <= current, `oldest ${oldest}, current ${current}`);
    // Earlier tests of this server made calls: counted by method and result type.
    assert.match(m, /clusnotify_calls_total\{method="openCluster",result="ok"\} [1-9]/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    // Commit latency: each mutation one observation, all of them in the next scrape (they wait
    // in an array until then).
    const commits = (text: string): number =>
      Number(/^clusnotify_commit_latency_seconds_count (\d+)$/m.exec(text)?.[1]);
    const before = commits(m);
    const a = await Peer.open(server.url);
    await a.hello(full);
    for (const type of ['resource.offline', 'resource.online'])
      assert.equal(
        (await a.call('execute', { command: { type, resource: 'FS Disk' } })).type,
        'ok',
      );
    a.end();
    const after = await (await fetch(`${base}/metrics`)).text();
    assert.equal(commits(after), before + 2);
    assert.equal(commits(await (await fetch(`${base}/metrics`)).text()), before + 2);
  });

  test('a stalled client gets the lost-events indication; server memory stays within the port bound; others are unaffected', async () => {
    const stalled = await Peer.open(server.url);
    await stalled.hello(read);
    const hc = (await stalled.call('openCluster')).handle as string;
    const p = (await stalled.call('createNotifyV2')).handle as string;
    await stalled.call('addNotifyV2', {
      hNotify: p,
      hObject: hc,
      filter: { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
      notifyKey: 1,
      version: 2,
      isTargetedAtObject: false,
    });
    const healthy = await Peer.open(server.url);
    await healthy.hello(full);
    for (let i = 0; i < 400; i++) {
      const r = await healthy.call('execute', {
        command: {
          type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
          resource: 'SQL Disk',
        },
      });
      assert.equal(r.type, 'ok');
    }
    const info = service.engine.stats();
    assert.ok(info.queued <= 513 * info.ports, `queued ${info.queued}`);
    assert.ok(info.dropped > 0);
    const got = await stalled.call('getNotifyV2', { hNotify: p, max: 5000 });
    const list = got.notifications as {
      filterAndType: { objectType: number; filterFlags: number };
      lost?: { count: number };
    }[];
    assert.equal(list.length, 513);
    const last = list.at(-1);
    assert.deepEqual(last?.filterAndType, { objectType: T.CLUSTER, filterFlags: 0x200 });
    assert.ok((last?.lost?.count ?? 0) > 0);
    stalled.end();
    healthy.end();
  });

  describe('streamed ports (docs/protocol.md "Streams")', () => {
    /**
     * A session with a v2 port on every resource change of `filterFlags` (default: state),
     * streamed with `window`.
     */
    async function streamed(
      window: number,
      filterFlags: number = ResV2.STATE,
    ): Promise<{ peer: Peer; port: string }> {
      const peer = await Peer.open(server.url);
      await peer.hello(read);
      const hc = (await peer.call('openCluster')).handle as string;
      const port = (await peer.call('createNotifyV2')).handle as string;
      await peer.call('addNotifyV2', {
        hNotify: port,
        hObject: hc,
        filter: { objectType: T.RESOURCE, filterFlags },
        notifyKey: 5,
        version: 2,
        isTargetedAtObject: false,
      });
      const r = await peer.call('streamNotify', { hNotify: port, window });
      assert.deepEqual([r.type, r.window], ['ok', window]);
      return { peer, port };
    }
    /**
     * `n` more v2 ports on `peer`'s session on every resource state change, notify keys from
     * `firstKey`, each streamed with a window of 4,096.
     */
    async function streamMore(
      peer: Peer,
      n: number,
      firstKey: number,
      encoding?: 'binary' | 'grouped',
    ): Promise<string[]> {
      const hc = (await peer.call('openCluster')).handle as string;
      const ports: string[] = [];
      for (let i = 0; i < n; i++) {
        const h = (await peer.call('createNotifyV2')).handle as string;
        await peer.call('addNotifyV2', {
          hNotify: h,
          hObject: hc,
          filter: { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
          notifyKey: firstKey + i,
          version: 2,
          isTargetedAtObject: false,
        });
        const r = await peer.call('streamNotify', { hNotify: h, window: 4096, encoding });
        assert.deepEqual([r.type, r.encoding], ['ok', encoding ?? 'json']);
        ports.push(h);
      }
      return ports;
    }
    const pushedTo = (peer: Peer, port: string): NotifyFrame[] =>
      peer.frames.filter((f): f is NotifyFrame => f.t === 'notify' && f.h === port);
    const count = (frames: readonly NotifyFrame[]): number =>
      frames.reduce((a, f) => a + f.n.length, 0);
    async function toggle(times: number): Promise<number[]> {
      const admin = await Peer.open(server.url);
      await admin.hello(full);
      const revisions: number[] = [];
      for (let i = 0; i < times; i++) {
        const r = await admin.call('execute', {
          command: {
            type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
            resource: 'FS Disk',
          },
        });
        assert.equal(r.type, 'ok', JSON.stringify(r));
        revisions.push(r.revision as number);
      }
      admin.end();
      return revisions;
    }

    test('the server pushes each commit in notify frames, in revision order, without a get', async () => {
      const { peer, port } = await streamed(4096);
      const revisions = await toggle(4);
      await peer.until(() =>
        pushedTo(peer, port).some((f) =>
          f.n.some((n) => (n as { revision: number }).revision === revisions.at(-1)),
        )
          ? true
          : undefined,
      );
      const got = pushedTo(peer, port).flatMap(
        (f) => f.n as { revision: number; notifyKey: number }[],
      );
      const seen = got.map((n) => n.revision);
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a - b),
        'revision order',
      );
      assert.deepEqual([...new Set(seen)], revisions, 'every commit, nothing else');
      assert.ok(got.every((n) => n.notifyKey === 5));
      assert.equal(pushedTo(peer, port).at(-1)?.drained, true);
      peer.end();
    });

    test('a client that stops reading holds its streams once the send buffer passes 8 MiB; they go on, nothing lost, when it reads again', async () => {
      const { peer, port } = await streamed(65_536, ResV2.COMMON_PROPERTY);
      // The peer reads nothing from its socket from here on.
      const socket = (peer.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      // Each commit's indication carries three 60,000-character properties (base64 of UTF-16:
      // ~480 KB a frame), so 40 of them pass the server's 8 MiB mark on top of what the kernel
      // holds.
      const revisions: number[] = [];
      const big = (i: number, k: number): string => `${i}.${k}:`.padEnd(60_000, 'x');
      const commit = async (i: number): Promise<void> => {
        const r = await service.execute({
          type: 'resource.set-properties',
          resource: 'FS Disk',
          properties: { BigA: big(i, 1), BigB: big(i, 2), BigC: big(i, 3) },
        });
        assert.equal(r.type, 'ok', JSON.stringify(r));
        if (r.type === 'ok') revisions.push(r.revision);
      };
      for (let i = 0; i < 40; i++) await commit(i);
      await new Promise((r) => setTimeout(r, 100));
      // Held: the stream sends nothing more, so the port keeps what comes next.
      await commit(40);
      await new Promise((r) => setTimeout(r, 50));
      const held = service.engine.portInfo(port);
      assert.ok(held.type === 'ok' && held.info.queued > 0, 'the stream is held');
      socket.resume();
      const last = revisions.at(-1);
      const seen = (): number[] =>
        pushedTo(peer, port).flatMap((f) => f.n.map((n) => (n as { revision: number }).revision));
      await peer.until(() => (seen().includes(last as number) ? true : undefined), 10_000);
      // And it goes on streaming after the drain.
      await commit(41);
      const after = revisions.at(-1) as number;
      await peer.until(() => (seen().includes(after) ? true : undefined), 5000);
      assert.deepEqual(seen(), revisions, 'every commit once, in order');
      peer.end();
    });

    test('commands made in one turn are one commit (D45) and reach a stream in one notify frame', async () => {
      const { peer, port } = await streamed(4096);
      await new Promise((r) => setTimeout(r, 20)); // the stream is parked on the empty port
      const before = pushedTo(peer, port).length;
      // Three commands in one turn: their commits publish one after another before the turn ends.
      const done = await Promise.all(
        ['resource.offline', 'resource.online', 'resource.offline'].map((type) =>
          service.execute({ type, resource: 'FS Disk' } as Parameters<typeof service.execute>[0]),
        ),
      );
      const revisions = done.map((r) => (r.type === 'ok' ? r.revision : -1));
      assert.equal(new Set(revisions).size, 1, 'one revision for the turn');
      const last = revisions.at(-1);
      const frames = await peer.until(() => {
        const f = pushedTo(peer, port).slice(before);
        return f.some((x) => x.n.some((n) => (n as { revision: number }).revision === last))
          ? f
          : undefined;
      });
      assert.equal(frames.length, 1, 'one frame for the turn');
      const seen = (frames[0]?.n ?? []).map((n) => (n as { revision: number }).revision);
      assert.deepEqual([...new Set(seen)], [last]);
      const steps = done.flatMap((r) =>
        r.type === 'ok' ? r.changes.filter((c) => c.type === 'resource-state') : [],
      );
      assert.equal(seen.length, steps.length, 'every state step of the three commands');
      assert.equal(frames[0]?.drained, true);
      peer.end();
    });

    test('the server stops at the window and goes on after an ack; acks never raise credit past the window', async () => {
      const { peer, port } = await streamed(3);
      peer.send({ t: 'ack', h: port, n: 1000 }); // more than was ever sent: capped at the window
      await toggle(6);
      await peer.until(() => (count(pushedTo(peer, port)) >= 3 ? true : undefined));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(count(pushedTo(peer, port)), 3, 'nothing past the window');
      const info = service.engine.portInfo(port);
      assert.ok(info.type === 'ok' && info.info.queued > 0, 'the rest waits in the port');
      peer.send({ t: 'ack', h: port, n: 3 });
      await peer.until(() => (count(pushedTo(peer, port)) >= 6 ? true : undefined));
      assert.equal(count(pushedTo(peer, port)), 6);
      peer.end();
    });

    test('a streamed port refuses gets and a second stream with PORT_STREAMING; a closed one streams no more', async () => {
      const { peer, port } = await streamed(16);
      const get = await peer.call('getNotifyV2', { hNotify: port, timeoutMs: 0 });
      assert.deepEqual([get.type, (get as { code?: string }).code], ['error', 'PORT_STREAMING']);
      const again = await peer.call('streamNotify', { hNotify: port });
      assert.equal((again as { code?: string }).code, 'PORT_STREAMING');
      assert.equal((await peer.call('closeNotify', { hNotify: port })).type, 'ok');
      peer.send({ t: 'ack', h: port, n: 1 }); // for a stream that ended: ignored
      await toggle(2);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(count(pushedTo(peer, port)), 0);
      assert.equal((await peer.call('getServerInfo')).type, 'ok', 'the connection is still open');
      peer.end();
    });

    test('unblocking a parked stream sends one last frame carrying interrupted; the stream ends', async () => {
      const { peer, port } = await streamed(16);
      await new Promise((r) => setTimeout(r, 20)); // the stream is parked on the empty port
      assert.equal((await peer.call('unblockGetNotifyCall', { hNotify: port })).type, 'ok');
      const last = await peer.until(() => pushedTo(peer, port).find((f) => f.end !== undefined));
      assert.deepEqual([last.n.length, last.drained, last.end?.type], [0, true, 'interrupted']);
      await toggle(2);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(pushedTo(peer, port).length, 1, 'nothing after the end frame');
      const info = service.engine.portInfo(port);
      assert.ok(info.type === 'ok' && info.info.parked === 0, 'no read left parked on the port');
      peer.end();
    });

    test('a version-1 port streams its indications as getNotifyAsync entries', async () => {
      const peer = await Peer.open(server.url);
      await peer.hello(read);
      const hc = (await peer.call('openCluster')).handle as string;
      const port = (await peer.call('createNotify')).handle as string;
      const added = await peer.call('addNotifyCluster', {
        hNotify: port,
        hCluster: hc,
        filter: ClusterChange.RESOURCE_STATE,
        notifyKey: 9,
      });
      assert.equal(added.type, 'ok', JSON.stringify(added));
      assert.equal((await peer.call('streamNotify', { hNotify: port })).type, 'ok');
      const revisions = await toggle(2);
      const last = revisions.at(-1);
      await peer.until(() =>
        pushedTo(peer, port).some((f) =>
          f.n.some((n) => (n as { revision: number }).revision === last),
        )
          ? true
          : undefined,
      );
      const got = pushedTo(peer, port).flatMap((f) => f.n) as Record<string, unknown>[];
      assert.ok(got.length >= 2);
      for (const n of got) {
        assert.deepEqual(
          [n.notifyKey, n.filter, n.name],
          [9, ClusterChange.RESOURCE_STATE, 'FS Disk'],
        );
      }
      assert.deepEqual([...new Set(got.map((n) => n.revision))], revisions);
      assert.deepEqual(Object.keys(got[0] ?? {}), ['notifyKey', 'filter', 'name', 'revision']);
      peer.end();
    });

    test('several ports streamed on one connection keep their own credit; ending one leaves the rest', async () => {
      const { peer, port: a } = await streamed(2);
      const more = await streamMore(peer, 2, 6);
      const [b, c] = more as [string, string];
      await toggle(3);
      await peer.until(() =>
        count(pushedTo(peer, b)) >= 3 && count(pushedTo(peer, c)) >= 3 ? true : undefined,
      );
      assert.equal(count(pushedTo(peer, a)), 2, 'a stops at its window of 2');
      assert.equal((await peer.call('closeNotify', { hNotify: b })).type, 'ok');
      const [bClosed, cBefore] = [count(pushedTo(peer, b)), count(pushedTo(peer, c))];
      peer.send({ t: 'ack', h: a, n: 2 });
      await peer.until(() => (count(pushedTo(peer, a)) >= 3 ? true : undefined));
      await toggle(2); // after an odd number the resource is offline: the online part changes it
      await peer.until(() => (count(pushedTo(peer, c)) > cBefore ? true : undefined));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(count(pushedTo(peer, b)), bClosed, 'the closed port streams no more');
      const get = await peer.call('getNotifyV2', { hNotify: c, timeoutMs: 0 });
      assert.equal((get as { code?: string }).code, 'PORT_STREAMING', 'c is still streamed');
      peer.end();
    });

    test('thirty ports streamed on one connection each get every indication of a pipelined burst, in revision order', async () => {
      // The ports of one connection share its socket: a pass that sends on several of them
      // corks it and writes once at the end of the pass, or every 256 KiB (sendDue).
      const { peer, port: first } = await streamed(4096);
      const ports = [first, ...(await streamMore(peer, 29, 100))];
      const admin = await Peer.open(server.url);
      await admin.hello(full);
      const results = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          admin.call('execute', {
            command: {
              type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
              resource: 'FS Disk',
            },
          }),
        ),
      );
      assert.ok(results.every((r) => r.type === 'ok'));
      const last = Math.max(...results.map((r) => r.revision as number));
      const revisionsOf = (h: string): number[] =>
        pushedTo(peer, h).flatMap((f) => f.n.map((n) => (n as { revision: number }).revision));
      await peer.until(() =>
        ports.every((h) => revisionsOf(h).includes(last)) ? true : undefined,
      );
      const want = revisionsOf(first);
      assert.ok(want.length >= 240, `${want.length} indications`);
      assert.deepEqual(
        want,
        [...want].sort((a, b) => a - b),
        'in revision order',
      );
      for (const h of ports) assert.deepEqual(revisionsOf(h), want, `port ${h}`);
      admin.end();
      peer.end();
    });

    test("streamNotify's encoding: binary frames for a version-2 port that asks, JSON for a version-1 port; another encoding is refused", async () => {
      const peer = await Peer.open(server.url);
      await peer.hello(read);
      const hc = (await peer.call('openCluster')).handle as string;
      const v2 = (await peer.call('createNotifyV2')).handle as string;
      await peer.call('addNotifyV2', {
        hNotify: v2,
        hObject: hc,
        filter: { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
        notifyKey: 5,
        version: 2,
        isTargetedAtObject: false,
      });
      const v1 = (await peer.call('createNotify')).handle as string;
      await peer.call('addNotifyCluster', {
        hNotify: v1,
        hCluster: hc,
        filter: ClusterChange.RESOURCE_STATE,
        notifyKey: 7,
      });
      const xml = await peer.call('streamNotify', { hNotify: v2, encoding: 'xml' });
      assert.equal((xml as { code?: string }).code, 'INVALID_ARGUMENT');
      const r2 = await peer.call('streamNotify', { hNotify: v2, encoding: 'binary' });
      const r1 = await peer.call('streamNotify', { hNotify: v1, encoding: 'binary' });
      assert.deepEqual(
        [r2.type, r2.encoding, r1.type, r1.encoding],
        ['ok', 'binary', 'ok', 'json'],
      );
      const revisions = await toggle(2);
      const last = revisions.at(-1);
      const b = await peer.until(() =>
        peer.binary.find((f) => !('malformed' in f) && f.n.some((n) => n.revision === last)),
      );
      assert.ok(!('malformed' in b));
      assert.equal(b.h, v2);
      assert.ok(b.n.every((n) => n.notifyKey === 5 && n.filterAndType.objectType === T.RESOURCE));
      assert.ok(
        peer.binary.every((f) => !('malformed' in f) && f.h === v2),
        'no other port',
      );
      await peer.until(() =>
        pushedTo(peer, v1).some((f) =>
          f.n.some((n) => (n as { revision: number }).revision === last),
        )
          ? true
          : undefined,
      );
      assert.equal(pushedTo(peer, v2).length, 0, 'the version-2 port sent no JSON batch');
      peer.end();
    });

    test("repeat entries (D60): a stream that asks gets one object's run of entries with its fields once, the same indications as a stream that did not", async () => {
      const peer = await Peer.open(server.url);
      const welcome = await peer.hello(read);
      assert.ok(welcome.t === 'welcome' && welcome.features?.includes('binary-repeat'));
      const hc = (await peer.call('openCluster')).handle as string;
      const ports: string[] = [];
      for (const notifyKey of [5, 6]) {
        const h = (await peer.call('createNotifyV2')).handle as string;
        await peer.call('addNotifyV2', {
          hNotify: h,
          hObject: hc,
          filter: { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
          notifyKey,
          version: 2,
          isTargetedAtObject: false,
        });
        ports.push(h);
      }
      const [asked, plain] = ports as [string, string];
      const bad = await peer.call('streamNotify', {
        hNotify: asked,
        encoding: 'binary',
        repeat: 1,
      });
      assert.equal((bad as { code?: string }).code, 'INVALID_ARGUMENT');
      // Queued before the streams start: each stream's first frame holds the whole run.
      const last = (await toggle(4)).at(-1);
      const r1 = await peer.call('streamNotify', {
        hNotify: asked,
        encoding: 'binary',
        repeat: true,
      });
      const r2 = await peer.call('streamNotify', { hNotify: plain, encoding: 'binary' });
      assert.deepEqual([r1.type, r2.type], ['ok', 'ok']);
      const entries = (h: string) =>
        peer.binary.flatMap((f) => ('malformed' in f || f.h !== h ? [] : f.n));
      await peer.until(() =>
        ports.every((h) => entries(h).some((n) => n.revision === last)) ? true : undefined,
      );
      assert.ok(peer.binary.every((f) => !('malformed' in f)));
      const a = entries(asked);
      assert.ok(a.length >= 4, `${a.length} entries`);
      assert.deepEqual(
        a.map((n) => ({ ...n, notifyKey: 6 })),
        entries(plain),
        'the same indications but the notify key',
      );
      const bytes = (h: string): number =>
        peer.single.filter((f) => f.h === h).reduce((n, f) => n + f.bytes.length, 0);
      // A repeat entry leaves out objectType, filterFlags and four strings with their lengths.
      let saved = 0;
      for (const f of peer.binary)
        if (!('malformed' in f) && f.h === asked)
          f.n.forEach((n, i) => {
            const p = f.n[i - 1];
            if (p === undefined || !sameObject(p, n)) return;
            saved += 12 + 16;
            for (const t of [n.objectId, n.parentId, n.name, n.type]) saved += Buffer.byteLength(t);
          });
      assert.ok(saved > 0, 'the batches held runs of one object');
      assert.equal(bytes(plain) - bytes(asked), saved);
      peer.end();
    });

    test('grouped streams (D55): the ports of a connection get their batches in grouped frames, each event once per frame, in revision order', async () => {
      const peer = await Peer.open(server.url);
      const welcome = await peer.hello(read);
      assert.ok(welcome.t === 'welcome' && welcome.features?.includes('grouped-notify'));
      const grouped = await streamMore(peer, 6, 200, 'grouped');
      const [alone] = (await streamMore(peer, 1, 300, 'binary')) as [string];
      const admin = await Peer.open(server.url);
      await admin.hello(full);
      const results = await Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          admin.call('execute', {
            command: {
              type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
              resource: 'FS Disk',
            },
          }),
        ),
      );
      const last = Math.max(...results.map((r) => r.revision as number));
      const revisionsOf = (h: string): number[] =>
        peer.binary.flatMap((f) =>
          'malformed' in f || f.h !== h ? [] : f.n.map((n) => n.revision),
        );
      await peer.until(() =>
        [...grouped, alone].every((h) => revisionsOf(h).includes(last)) ? true : undefined,
      );
      const want = revisionsOf(alone);
      assert.ok(want.length >= 80, `${want.length} indications`);
      for (const h of grouped) assert.deepEqual(revisionsOf(h), want, `port ${h}`);
      assert.ok(peer.binary.every((f) => !('malformed' in f)));
      assert.ok(peer.grouped.length > 0, 'grouped frames came');
      for (const { batches } of peer.grouped) {
        const handles = new Set(batches.map((b) => b.h));
        assert.ok(!handles.has(alone), 'a binary port is not grouped');
        assert.ok(handles.size > 1, 'a grouped frame holds several ports');
        // Every port of the frame got every event of it: each event's bytes came once.
        const entries = batches.reduce((n, b) => n + b.n.length, 0);
        const events = new Set(batches.flatMap((b) => b.buffers)).size;
        assert.equal(events * handles.size, entries);
      }
      assert.equal(pushedTo(peer, grouped[0] as string).length, 0, 'no JSON batch');
      admin.end();
      peer.end();
    });

    test("streamNotify on an unknown port or another session's port fails as a get would; a malformed ack closes 4002", async () => {
      const { peer, port } = await streamed(16);
      const other = await Peer.open(server.url);
      await other.hello(read);
      const stolen = await other.call('streamNotify', { hNotify: port });
      const stolenGet = await other.call('getNotifyV2', { hNotify: port, timeoutMs: 0 });
      assert.equal(stolen.type, 'error');
      assert.deepEqual(stolen, stolenGet);
      const unknown = await other.call('streamNotify', { hNotify: 'p-nope' });
      assert.equal(unknown.status, 6, 'ERROR_INVALID_HANDLE');
      const tooWide = await other.call('streamNotify', { hNotify: port, window: 1 << 20 });
      assert.equal((tooWide as { code?: string }).code, 'INVALID_ARGUMENT');
      other.send({ t: 'ack', h: port, n: 0 });
      assert.equal(await other.closed(), 4002);
      peer.end();
    });
  });
});

/** Runs `body` against a server of its own (memory store, tokens in memory), then stops both. */
async function withServer(
  limits: Partial<ServerLimits>,
  body: (s: { service: ClusterService; tokens: TokenStore; server: WsServer }) => Promise<void>,
): Promise<void> {
  const service = await startClusterService({ store: createMemoryStore(), newId: testIds() });
  const tokens = createTokenStore();
  const server = await startWsServer({ service, tokens, port: 0, limits });
  try {
    await body({ service, tokens, server });
  } finally {
    await server.close();
    await service.close();
  }
}

test('a connection that stops answering pings is terminated and its session ends; live ones stay', async () => {
  await withServer({ pingIntervalMs: 100 }, async ({ service, tokens, server }) => {
    const token = tokens.create('read');
    const hello = async (ws: WebSocket): Promise<void> => {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const welcome = new Promise((resolve) => ws.once('message', resolve));
      ws.send(JSON.stringify({ t: 'hello', v: 1, token }));
      await welcome;
    };
    // A peer whose pongs never come: what a half-open TCP connection looks like to the server.
    const dead = new WebSocket(server.url, { autoPong: false });
    await hello(dead);
    const live = new WebSocket(server.url);
    await hello(live);
    assert.equal(service.sessionCount, 2);
    const closed = await new Promise<number>((resolve) => dead.once('close', resolve));
    assert.equal(closed, 1006, 'terminated without a close frame');
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(service.sessionCount, 1, 'the dead session ended; the live one is kept');
    assert.equal(live.readyState, WebSocket.OPEN);
    const dead1 = (await server.metrics.deadPeers.get()).values[0]?.value;
    assert.equal(dead1, 1);
    live.close();
  });
});

test('the ping sweep also ends a connection that never said hello and never answers', async () => {
  await withServer({ pingIntervalMs: 100, helloTimeoutMs: 60_000 }, async ({ server }) => {
    const silent = new WebSocket(server.url, { autoPong: false });
    await new Promise((resolve, reject) => {
      silent.once('open', resolve);
      silent.once('error', reject);
    });
    const closed = await new Promise<number>((resolve) => silent.once('close', resolve));
    assert.equal(closed, 1006, 'terminated by the ping sweep, long before the hello timeout');
    assert.equal((await server.metrics.deadPeers.get()).values[0]?.value, 1);
  });
});

test('commit latency: every observation reaches the scrape, past the 1,024 held between flushes', async () => {
  const service = await startClusterService({ store: createMemoryStore(), newId: testIds() });
  try {
    const { registry, commitSeconds } = createMetrics(service);
    for (let k = 0; k < 1000; k++) commitSeconds.observe(0.0003);
    for (let k = 0; k < 1500; k++) commitSeconds.observe(0.003);
    // Not a latency: dropped, and the scrape still works.
    commitSeconds.observe(Number.NaN);
    const text = await registry.metrics();
    const line = (suffix: string): number =>
      Number(
        new RegExp(`^clusnotify_commit_latency_seconds${suffix} (\\S+)$`, 'm').exec(text)?.[1],
      );
    assert.equal(line('_count'), 2500);
    assert.equal(line('_bucket\\{le="0.0005"\\}'), 1000);
    assert.equal(line('_bucket\\{le="0.005"\\}'), 2500);
    assert.ok(Math.abs(line('_sum') - 4.8) < 1e-9, String(line('_sum')));
    // A second scrape counts nothing twice.
    assert.match(await registry.metrics(), /^clusnotify_commit_latency_seconds_count 2500$/m);
  } finally {
    await service.close();
  }
});

test('close() returns once every connection has ended and its session is closed', async () => {
  const service = await startClusterService({ store: createMemoryStore(), newId: testIds() });
  const tokens = createTokenStore();
  const token = tokens.create('read');
  const server = await startWsServer({ service, tokens, port: 0 });
  const peers: Peer[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const p = await Peer.open(server.url);
      assert.equal((await p.hello(token)).t, 'welcome');
      peers.push(p);
    }
    assert.equal(service.sessionCount, 5);
    assert.equal((await server.metrics.connections.get()).values[0]?.value, 5);
    await server.close();
    assert.equal(service.sessionCount, 0, 'every session ended with its connection');
    assert.equal((await server.metrics.connections.get()).values[0]?.value, 0);
    for (const p of peers) assert.equal(await p.closed(), 1001);
  } finally {
    await server.close();
    await service.close();
  }
});

test('a token revoked in the token file ends the sessions it opened with AUTH_FAILED; the others go on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clusnotify-revoke-'));
  const file = join(dir, 'tokens.json');
  const service = await startClusterService({ store: createMemoryStore(), newId: testIds() });
  const tokens = openTokenFile(file, { watchIntervalMs: 20 });
  const kept = tokens.create('full');
  const doomed = tokens.create('read');
  const server = await startWsServer({ service, tokens, port: 0 });
  try {
    const a = await Peer.open(server.url);
    assert.equal((await a.hello(doomed)).t, 'welcome');
    const b = await Peer.open(server.url);
    assert.equal((await b.hello(kept)).t, 'welcome');
    assert.equal(service.sessionCount, 2);

    // `clusnotify token revoke ID` in another process: its own view of the same file.
    const cli = openTokenFile(file);
    const id = cli.list().find((r) => r.access === 'read')?.id ?? '';
    assert.equal(cli.revoke(id), true);

    // Noticed by the server's watch on the file, with no hello to prompt it.
    assert.equal(await a.closed(), 4001);
    const error = a.frames.find((f) => f.t === 'error');
    assert.equal(error?.t === 'error' && error.code, 'AUTH_FAILED');
    assert.match(error?.t === 'error' ? error.message : '', /token of this session .* revoked/);
    assert.equal((await b.call('getServerInfo')).type, 'ok', 'the other session keeps working');
    assert.equal(b.closeCode, undefined);
    const deadline = Date.now() + 2000;
    while (service.sessionCount > 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(service.sessionCount, 1, 'the revoked session ended with its connection');

    const again = await Peer.open(server.url);
    const refused = await again.hello(doomed);
    assert.equal(refused.t === 'error' && refused.code, 'AUTH_FAILED');
    assert.equal(await again.closed(), 4001);
    b.end();
  } finally {
    await server.close();
    await service.close();
    rmSync(dir, { recursive: true });
  }
});

test('revoking through the server token store itself ends every session of the token at once', async () => {
  await withServer({}, async ({ tokens, server }) => {
    const token = tokens.create('read');
    const other = tokens.create('read');
    const peers = [await Peer.open(server.url), await Peer.open(server.url)];
    for (const p of peers) assert.equal((await p.hello(token)).t, 'welcome');
    const survivor = await Peer.open(server.url);
    assert.equal((await survivor.hello(other)).t, 'welcome');
    const id = tokens.list().find((r) => tokens.identify(token)?.id === r.id)?.id ?? '';
    assert.equal(tokens.revoke(id), true);
    for (const p of peers) assert.equal(await p.closed(), 4001, 'every session of the token');
    assert.equal((await survivor.call('getServerInfo')).type, 'ok');
    survivor.end();
  });
});

test('connections beyond the per-address limit are refused with CONNECTION_LIMIT before hello; sessions beyond the server limit with SESSION_LIMIT', async () => {
  await withServer(
    { maxSessions: 2, maxConnectionsPerAddress: 3 },
    async ({ service, tokens, server }) => {
      const token = tokens.create('read');
      // The refusal comes with the upgrade's answer: listen before the socket opens.
      // `garbage`: the refused peer sends a text frame of invalid UTF-8 at once, which the
      // server's WebSocket reports as an error.
      const refusedConnection = (
        garbage = false,
      ): Promise<{ frames: ServerFrame[]; code: number }> =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(server.url);
          if (garbage) ws.once('open', () => ws.send(Buffer.from([0xff, 0xfe]), { binary: false }));
          const frames: ServerFrame[] = [];
          ws.on('message', (d) =>
            frames.push(JSON.parse((d as Buffer).toString('utf8')) as ServerFrame),
          );
          ws.once('close', (code) => resolve({ frames, code }));
          ws.once('error', reject);
        });
      const a = await Peer.open(server.url);
      const b = await Peer.open(server.url);
      for (const p of [a, b]) assert.equal((await p.hello(token)).t, 'welcome');
      const quiet = await Peer.open(server.url); // the third, without a hello: still counted
      const over = await refusedConnection();
      const refused = over.frames[0];
      assert.equal(refused?.t === 'error' && refused.code, 'CONNECTION_LIMIT');
      assert.equal(refused?.t === 'error' && refused.status, 0x47);
      assert.equal(over.code, 4003);
      assert.equal(service.sessionCount, 2);
      assert.equal((await a.call('getServerInfo')).type, 'ok', 'the others go on');
      // A refused peer that sends garbage before the close does not upset the server.
      await refusedConnection(true);
      assert.equal((await b.call('getServerInfo')).type, 'ok', 'the server goes on');

      // A closed connection frees its place (once the server has seen it close).
      quiet.end();
      await quiet.closed();
      let next: Peer | undefined;
      for (let i = 0; i < 50 && next === undefined; i++) {
        const p = await Peer.open(server.url);
        await new Promise((r) => setTimeout(r, 20));
        if (p.frames.length === 0 && p.closeCode === undefined) next = p;
      }
      assert.ok(next !== undefined, 'a connection is accepted again');
      // Two sessions are the server's limit: its hello is refused.
      const over2 = await next.hello(token);
      assert.equal(over2.t === 'error' && over2.code, 'SESSION_LIMIT');
      assert.equal(await next.closed(), 4003);
      for (const p of [a, b]) p.end();
    },
  );
});
