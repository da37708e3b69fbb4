/**
 * Issue "Network server, typed client …" §4: a real `clusnotify serve` is SIGKILLed in the middle
 * of a stream of commits and restarted on the same data and port. A client with resume receives
 * every indication exactly once (checked against the store's own log); a client without resume
 * gets CLUSTER_RECONNECT and the ReAdd catch-up and ends at the server's state sequence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClusterChange as C,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import { commitEvents } from '@clusnotify/core';
import type { Change } from '@clusnotify/core';
import { openSqliteStore } from '@clusnotify/store';
import { connect } from '@clusnotify/client';
import { CLI_MAIN as MAIN, freePort } from './helpers.js';

async function serve(dir: string, port: number): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--data', dir, '--port', String(port), '--log-level', 'error'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('health:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${String(code)}: ${out}`)));
  });
  return { child, out };
}

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );

test(
  'SIGKILL mid-stream: with resume every indication arrives exactly once; without, RECONNECT and the catch-up',
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusnotify-restart-'));
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/v1`;
    let server = await serve(dir, port);
    const token = /(cn_f_\S+)/.exec(server.out)?.[1] ?? '';
    const fast = { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } };
    const resumer = await connect([url], { token, ...fast });
    const plain = await connect([url], { token, resume: false, ...fast });
    const writer = await connect([url], { token, ...fast });
    try {
      const from = (await writer.getServerInfo()).revision;
      const p2 = await resumer.openPort({
        version: 2,
        filters: [{ kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 7 }],
      });
      const p1 = await plain.openPort({
        version: 1,
        filters: [
          {
            kind: 'object',
            objectType: T.RESOURCE,
            name: 'SQL Disk',
            filter: C.RESOURCE_STATE,
            notifyKey: 8,
          },
        ],
      });

      const got2: Indication[] = [];
      const got1: Indication[] = [];
      let reading = true;
      const readAll = async (port: typeof p2, into: Indication[]): Promise<void> => {
        while (reading) {
          const r = await port.next({ timeoutMs: 200 });
          if (r.type === 'indication') into.push(r.indication);
        }
      };
      const readers = [readAll(p2, got2), readAll(p1, got1)];

      // The stream: toggles of SQL Disk, committed as fast as the server takes them.
      let online = true;
      let writing = true;
      let killedAt = -1;
      const write = async (): Promise<void> => {
        while (writing) {
          try {
            await writer.execute({
              type: online ? 'resource.offline' : 'resource.online',
              resource: 'SQL Disk',
            });
            online = !online;
          } catch {
            // CONNECTION_LOST while the server is down: the command may or may not have been
            // committed; read the truth back after the restart.
            await new Promise((r) => setTimeout(r, 50));
            try {
              const objects = (await writer.getClusterState()).objects as {
                kind: string;
                value: { name?: string; state?: number };
              }[];
              const res = objects.find((o) => o.kind === 'resource' && o.value.name === 'SQL Disk');
              online = res?.value.state === 2;
            } catch {
              /* still down */
            }
          }
        }
      };
      const writing1 = write();
      await new Promise((r) => setTimeout(r, 400));
      server.child.kill('SIGKILL');
      await exited(server.child);
      killedAt = got2.length;
      await new Promise((r) => setTimeout(r, 300));
      server = await serve(dir, port);
      await new Promise((r) => setTimeout(r, 800));
      writing = false;
      await writing1;
      const end = (await writer.getServerInfo()).revision;
      // Wait until the resuming client has read up to the end.
      const deadline = Date.now() + 20_000;
      while (
        (got2.filter((i) => i.version === 2 && i.filterAndType.objectType === T.RESOURCE).at(-1)
          ?.revision ?? 0) < end &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      reading = false;
      await Promise.all(readers);
      assert.ok(killedAt > 10, `only ${killedAt} indications before the kill`);

      // The truth: the store's log, turned into events with the same code every node uses.
      server.child.kill('SIGTERM');
      await exited(server.child);
      const store = await openSqliteStore({ path: join(dir, 'cluster.db') });
      const expected: [number, string, number][] = [];
      for (let after = from; ;) {
        const r = await store.readSince(after, 10_000);
        assert.equal(r.type, 'commits');
        if (r.type !== 'commits' || r.commits.length === 0) break;
        for (const c of r.commits) {
          for (const e of commitEvents(c.changes as unknown as Change[], c.revision)) {
            if (e.version === 2 && e.objectType === T.RESOURCE && e.flag === ResV2.STATE)
              expected.push([e.revision, e.name, e.flag]);
          }
          after = c.revision;
        }
      }
      await store.close();
      const seen2 = got2
        .filter((i) => i.version === 2 && i.filterAndType.objectType === T.RESOURCE)
        .map((i): [number, string, number] => [
          i.revision,
          i.name,
          i.version === 2 ? i.filterAndType.filterFlags : 0,
        ]);
      assert.ok(expected.length > killedAt);
      assert.deepEqual(seen2, expected, 'with resume: every indication exactly once, in order');
      // While the only candidate is down the client posts CLUSTER_STATE_V2 (§7.3); after an exact
      // resume it posts no RECONNECT_V2: nothing was lost.
      const control = got2
        .filter((i) => i.version === 2 && i.filterAndType.objectType === T.CLUSTER)
        .map((i) => (i.version === 2 ? i.filterAndType.filterFlags : 0));
      assert.ok(
        control.every((f) => f === 0x2),
        `control indications: ${control.join()}`,
      );

      const reconnects = got1.filter((i) => i.version === 1 && i.filter === C.CLUSTER_RECONNECT);
      assert.ok(reconnects.length >= 1, 'without resume: CLUSTER_RECONNECT is posted');
      const states = got1.filter((i) => i.version === 1 && i.filter === C.RESOURCE_STATE);
      const lastSeq =
        states.at(-1)?.version === 1
          ? (states.at(-1) as { stateSequence: number }).stateSequence
          : -1;
      const finalSeq = expected.filter(([, name]) => name === 'SQL Disk').length + 2; // bootstrap brought it online: 2 steps
      assert.equal(
        lastSeq,
        finalSeq,
        'the ReAdd catch-up brings the client to the final state sequence',
      );
    } finally {
      await Promise.allSettled([resumer.close(), plain.close(), writer.close()]);
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await exited(server.child);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
