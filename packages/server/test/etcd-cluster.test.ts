/**
 * Issue #5: three `clusnotify serve --etcd` daemons share one real etcd on loopback. Clients on
 * every daemon see the same indications in the same revision order; when one daemon is
 * SIGKILLed mid-stream its node goes down and its group fails over exactly once, and the
 * client that used it resumes on another daemon without losing or repeating anything. A
 * three-member etcd loses a member and the service carries on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClusterChangeGroupV2 as GroupV2,
  ClusterChangeNodeV2 as NodeV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import { commitEvents } from '@clusnotify/core';
import type { Change } from '@clusnotify/core';
import { openEtcdStore, startLocalEtcd } from '@clusnotify/store';
import type { LocalEtcd } from '@clusnotify/store';
import { connect } from '@clusnotify/client';
import { CLI_MAIN as MAIN, freePort } from './helpers.js';
import type { Client, ClientPort } from '@clusnotify/client';

interface Daemon {
  readonly node: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly out: string;
}

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );

/** Starts `clusnotify serve --etcd` for `node` and waits for its banner. */
async function daemon(etcd: readonly string[], dir: string, node: string): Promise<Daemon> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'serve',
      '--etcd',
      etcd.join(','),
      '--node-name',
      node,
      '--data',
      dir,
      '--port',
      String(port),
      '--lease-ttl',
      '2',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('health:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${String(code)}: ${out}`));
    });
  });
  return { node, url: `ws://127.0.0.1:${port}/v1`, child, out };
}

/** What a reader compares: revision, object type, flag, name. */
type Seen = [number, number, number, string];

function seen(i: Indication): Seen | undefined {
  if (i.version !== 2) return undefined;
  return [i.revision, i.filterAndType.objectType, i.filterAndType.filterFlags, i.name];
}

const FILTERS = [
  { kind: 'v2' as const, objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 1 },
  { kind: 'v2' as const, objectType: T.GROUP, filterFlags: GroupV2.OWNER_NODE, notifyKey: 2 },
  { kind: 'v2' as const, objectType: T.NODE, filterFlags: NodeV2.STATE, notifyKey: 3 },
];

function wanted(objectType: number, flag: number): boolean {
  return FILTERS.some((f) => f.objectType === objectType && (f.filterFlags & flag) !== 0);
}

/** Reads a port into `into` until `state.reading` turns false. */
async function readAll(port: ClientPort, into: Indication[], state: { reading: boolean }) {
  while (state.reading) {
    const r = await port.next({ timeoutMs: 200 });
    if (r.type === 'indication') into.push(r.indication);
  }
}

describe('three daemons on one etcd', () => {
  let etcd: LocalEtcd;
  const dirs: string[] = [];
  const daemons: Daemon[] = [];
  before(async () => {
    etcd = await startLocalEtcd();
  });
  after(async () => {
    for (const d of daemons) d.child.kill('SIGKILL');
    await Promise.all(daemons.map((d) => exited(d.child)));
    await etcd.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'SIGKILL one daemon mid-stream: same order everywhere, exactly once with resume, one failover',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'clusnotify-etcd-cluster-'));
      dirs.push(dir);
      // The first daemon creates the cluster and the token; the others share the token file.
      daemons.push(await daemon(etcd.urls, dir, 'NODE1'));
      const token = /(cn_f_\S+)/.exec(daemons[0]?.out ?? '')?.[1] ?? '';
      daemons.push(await daemon(etcd.urls, dir, 'NODE2'));
      daemons.push(await daemon(etcd.urls, dir, 'NODE3'));
      const [d1, d2, d3] = daemons as [Daemon, Daemon, Daemon];
      const fast = { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } };
      const clients: Client[] = [];
      try {
        // One reader per daemon; the first one's daemon dies, its candidates hold every daemon.
        const readerUrls = [
          [d1.url, d2.url, d3.url],
          [d2.url, d3.url, d1.url],
          [d3.url, d1.url, d2.url],
        ];
        const readers = await Promise.all(readerUrls.map((u) => connect(u, { token, ...fast })));
        clients.push(...readers);
        const from = (await readers[1]?.getServerInfo())?.revision ?? 0;
        const ports = await Promise.all(
          readers.map((c) => c.openPort({ version: 2, filters: FILTERS })),
        );
        const got: Indication[][] = ports.map(() => []);
        const reading = { reading: true };
        const loops = ports.map((p, i) => readAll(p, got[i] ?? [], reading));

        // Two writers on the daemons that survive, so that their commits race.
        const writers = await Promise.all(
          [d2.url, d3.url].map((u) => connect([u], { token, ...fast })),
        );
        clients.push(...writers);
        let writing = true;
        let committed = 0;
        const perWriter = new Map<string, number>();
        const write = async (client: Client, resource: string): Promise<void> => {
          let online = true;
          while (writing) {
            const r = await client
              .execute({ type: online ? 'resource.offline' : 'resource.online', resource })
              .catch(() => undefined);
            if (r !== undefined) {
              committed++;
              perWriter.set(resource, (perWriter.get(resource) ?? 0) + 1);
            }
            online = !online;
          }
        };
        const writes = [
          write(writers[0] as Client, 'SQL Disk'),
          write(writers[1] as Client, 'FS Disk'),
        ];
        await new Promise((r) => setTimeout(r, 1_000));
        const before = got[0]?.length ?? 0;
        d1.child.kill('SIGKILL');
        await exited(d1.child);
        // The lease (2 s) expires, NODE1 goes down and Cluster Group fails over to NODE2.
        const deadline = Date.now() + 15_000;
        const nodeDown = (list: Indication[]): Indication[] =>
          list.filter(
            (i) =>
              i.version === 2 &&
              i.filterAndType.objectType === T.NODE &&
              i.name === 'NODE1' &&
              i.filterAndType.filterFlags === NodeV2.STATE,
          );
        while (nodeDown(got[1] ?? []).length === 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 1_000));
        writing = false;
        await Promise.all(writes);
        const end = (await writers[0]?.getServerInfo())?.revision ?? 0;
        assert.ok(before > 10, `only ${before} indications before the kill`);
        assert.ok(committed > 50, `only ${committed} commands committed`);
        // Both daemons' writers got their commands in, not only the one that won first.
        for (const resource of ['SQL Disk', 'FS Disk'])
          assert.ok(
            (perWriter.get(resource) ?? 0) > 20,
            `${resource}: ${perWriter.get(resource) ?? 0} commands committed`,
          );

        // Every reader reads up to the end.
        const last = (list: Indication[]): number => list.at(-1)?.revision ?? 0;
        const truth = await openEtcdStore({ hosts: etcd.urls });
        const expected: Seen[] = [];
        try {
          for (let a = from; a < end;) {
            const r = await truth.readSince(a, 10_000);
            assert.equal(r.type, 'commits');
            if (r.type !== 'commits' || r.commits.length === 0) break;
            for (const c of r.commits) {
              if (c.revision > end) break;
              for (const e of commitEvents(c.changes as unknown as Change[], c.revision))
                if (e.version === 2 && wanted(e.objectType, e.flag))
                  expected.push([e.revision, e.objectType, e.flag, e.name]);
              a = c.revision;
            }
          }
        } finally {
          await truth.close();
        }
        const lastExpected = expected.at(-1)?.[0] ?? 0;
        const readDeadline = Date.now() + 20_000;
        while (got.some((g) => last(g) < lastExpected) && Date.now() < readDeadline)
          await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 300));
        reading.reading = false;
        await Promise.all(loops);

        const streams = got.map((g) =>
          g
            .map(seen)
            .filter((s): s is Seen => s !== undefined && s[1] !== T.CLUSTER && s[0] <= end),
        );
        for (const [i, s] of streams.entries())
          assert.deepEqual(s, expected, `reader ${i + 1}: every indication once, in order`);
        // Exactly one NODE1 state change (down) and one owner change of Cluster Group.
        const n1 = expected.filter((e) => e[1] === T.NODE && e[3] === 'NODE1');
        assert.equal(n1.length, 1, `NODE1 state changes: ${JSON.stringify(n1)}`);
        const owner = expected.filter(
          (e) => e[1] === T.GROUP && e[2] === GroupV2.OWNER_NODE && e[3] === 'Cluster Group',
        );
        assert.equal(owner.length, 1, 'Cluster Group fails over once');
        // The reader whose daemon died resumed exactly: no lost-events, no RECONNECT.
        const control = (got[0] ?? []).filter(
          (i) => i.version === 2 && i.filterAndType.objectType === T.CLUSTER,
        );
        assert.ok(
          control.every((i) => i.version === 2 && i.filterAndType.filterFlags === 0x2),
          `control indications on the resumed reader: ${control.length}`,
        );
        // Both survivors hold the same cluster, with the same state sequences.
        const [s2, s3] = await Promise.all(writers.map((w) => w.getClusterState()));
        assert.equal(s2?.revision, s3?.revision);
        const canonical = (objects: unknown): string[] =>
          (objects as unknown[]).map((o) => JSON.stringify(o)).sort();
        assert.deepEqual(canonical(s2?.objects), canonical(s3?.objects));
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    },
  );
});

describe('daemons and etcd trouble', () => {
  test('an etcd that does not answer at start: a clear error and exit status 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusnotify-etcd-down-'));
    try {
      const child = spawn(
        process.execPath,
        [MAIN, 'serve', '--etcd', 'http://127.0.0.1:9', '--node-name', 'NODE1', '--data', dir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (d: string) => (err += d));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      assert.equal(code, 1);
      assert.match(
        err,
        /clusnotify: STORE_UNAVAILABLE: .*cannot reach etcd at http:\/\/127\.0\.0\.1:9/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--etcd without --node-name is bad usage (exit status 2)', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--etcd', 'http://127.0.0.1:9'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (err += d));
    assert.equal(await new Promise<number | null>((r) => child.once('exit', r)), 2);
    assert.match(err, /--etcd and --node-name go together/);
  });

  test(
    'etcd lost while running: mutations refused with STORE_UNAVAILABLE, ports stay open, service resumes when etcd returns, nothing committed lost',
    { timeout: 120_000 },
    async () => {
      const etcd = await startLocalEtcd();
      const dir = mkdtempSync(join(tmpdir(), 'clusnotify-etcd-lost-'));
      let d: Daemon | undefined;
      let client: Client | undefined;
      try {
        d = await daemon(etcd.urls, dir, 'NODE1');
        const token = /(cn_f_\S+)/.exec(d.out)?.[1] ?? '';
        client = await connect([d.url], { token });
        const port = await client.openPort({ version: 2, filters: FILTERS });
        const done = await client.execute({ type: 'resource.offline', resource: 'SQL Disk' });
        const member = etcd.members[0];
        assert.ok(member !== undefined);
        await member.kill();
        await assert.rejects(
          client.execute({ type: 'resource.online', resource: 'SQL Disk' }),
          (e: unknown) => (e as { code?: unknown }).code === 'STORE_UNAVAILABLE',
        );
        assert.equal(client.state, 'open');
        // The port is still there: a read times out, it is not closed.
        const drained: Indication[] = [];
        for (;;) {
          const r = await port.next({ timeoutMs: 100 });
          if (r.type !== 'indication') {
            assert.equal(r.type, 'timeout');
            break;
          }
          drained.push(r.indication);
        }
        await member.restart();
        let again: { revision: number } | undefined;
        const deadline = Date.now() + 30_000;
        while (again === undefined && Date.now() < deadline) {
          again = await client
            .execute({ type: 'resource.online', resource: 'SQL Disk' })
            .catch(() => undefined);
          if (again === undefined) await new Promise((r) => setTimeout(r, 250));
        }
        assert.ok(again !== undefined, 'commands commit again once etcd is back');
        assert.ok(again.revision > done.revision);
        const r = await port.next({ timeoutMs: 5_000 });
        assert.equal(r.type, 'indication');
        // What was committed before the loss is still there.
        const truth = await openEtcdStore({ hosts: etcd.urls });
        try {
          const log = await truth.readSince(done.revision - 1, 1);
          assert.equal(log.type, 'commits');
          assert.equal(log.type === 'commits' ? log.commits[0]?.revision : 0, done.revision);
        } finally {
          await truth.close();
        }
      } finally {
        await client?.close();
        d?.child.kill('SIGKILL');
        if (d !== undefined) await exited(d.child);
        await etcd.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test(
    'a SIGKILLed daemon started again takes its node back: down once, then up',
    { timeout: 90_000 },
    async () => {
      const etcd = await startLocalEtcd();
      const dir = mkdtempSync(join(tmpdir(), 'clusnotify-etcd-rejoin-'));
      const started: Daemon[] = [];
      let client: Client | undefined;
      try {
        started.push(await daemon(etcd.urls, dir, 'NODE1'));
        const token = /(cn_f_\S+)/.exec(started[0]?.out ?? '')?.[1] ?? '';
        started.push(await daemon(etcd.urls, dir, 'NODE2'));
        const [a, b] = started as [Daemon, Daemon];
        client = await connect([a.url], { token });
        const port = await client.openPort({ version: 2, filters: FILTERS });
        b.child.kill('SIGKILL');
        await exited(b.child);
        // Started again at once: it waits for the old lease to expire, then brings NODE2 up.
        started.push(await daemon(etcd.urls, dir, 'NODE2'));
        const states: number[] = [];
        const deadline = Date.now() + 20_000;
        while (states.at(-1) !== 0 && Date.now() < deadline) {
          const r = await port.next({ timeoutMs: 500 });
          if (
            r.type === 'indication' &&
            r.indication.version === 2 &&
            r.indication.filterAndType.objectType === T.NODE &&
            r.indication.name === 'NODE2'
          )
            states.push(
              new DataView(r.indication.buffer.buffer, r.indication.buffer.byteOffset).getUint32(
                0,
                true,
              ),
            );
        }
        // ClusterNodeDown (1), then ClusterNodeJoining (3), then ClusterNodeUp (0).
        assert.deepEqual(states, [1, 3, 0]);
      } finally {
        await client?.close();
        for (const d of started) d.child.kill('SIGKILL');
        await Promise.all(started.map((d) => exited(d.child)));
        await etcd.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test('SIGTERM stops a daemon promptly while etcd is away', { timeout: 60_000 }, async () => {
    const etcd = await startLocalEtcd();
    const dir = mkdtempSync(join(tmpdir(), 'clusnotify-etcd-stop-'));
    let d: Daemon | undefined;
    try {
      d = await daemon(etcd.urls, dir, 'NODE1');
      await etcd.members[0]?.kill();
      const started = Date.now();
      d.child.kill('SIGTERM');
      await exited(d.child);
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    } finally {
      d?.child.kill('SIGKILL');
      if (d !== undefined) await exited(d.child);
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(
    'a three-member etcd loses a member (SIGKILL): the daemons carry on',
    { timeout: 120_000 },
    async () => {
      const etcd = await startLocalEtcd({ members: 3 });
      const dir = mkdtempSync(join(tmpdir(), 'clusnotify-etcd-3m-'));
      const started: Daemon[] = [];
      const clients: Client[] = [];
      try {
        // Each daemon talks to every member.
        started.push(await daemon(etcd.urls, dir, 'NODE1'));
        const token = /(cn_f_\S+)/.exec(started[0]?.out ?? '')?.[1] ?? '';
        started.push(await daemon(etcd.urls, dir, 'NODE2'));
        const [a, b] = started as [Daemon, Daemon];
        const reader = await connect([b.url], { token });
        const writer = await connect([a.url], { token });
        clients.push(reader, writer);
        const port = await reader.openPort({ version: 2, filters: FILTERS });
        const toggle = async (n: number): Promise<number> => {
          let last = 0;
          for (let i = 0; i < n; i++) {
            const r = await writer.execute({
              type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
              resource: 'FS Disk',
            });
            last = r.revision;
          }
          return last;
        };
        await toggle(10);
        await etcd.members[0]?.kill();
        // A commit in flight when the member died may fail once; then the others take over.
        let last = 0;
        const deadline = Date.now() + 30_000;
        while (last === 0 && Date.now() < deadline) {
          last = await toggle(20).catch(() => 0);
          if (last === 0) await new Promise((r) => setTimeout(r, 250));
        }
        assert.ok(last > 0, 'commands commit with two of three members');
        let newest = 0;
        const readDeadline = Date.now() + 15_000;
        while (newest < last && Date.now() < readDeadline) {
          const r = await port.next({ timeoutMs: 1_000 });
          if (r.type === 'indication') newest = r.indication.revision;
        }
        assert.equal(newest, last, 'the reader on the other daemon sees the newest commit');
      } finally {
        await Promise.all(clients.map((c) => c.close()));
        for (const d of started) d.child.kill('SIGKILL');
        await Promise.all(started.map((d) => exited(d.child)));
        await etcd.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
