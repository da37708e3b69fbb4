import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@clusnotify/core';
import { createMemoryStore, openSqliteStore } from '@clusnotify/store';
import type { StateStore } from '@clusnotify/store';
import { startClusterService } from '@clusnotify/server';
import type { ClusterService, ClusterServiceOptions } from '@clusnotify/server';

/** A store factory the service tests run on: memory and SQLite. */
export interface StoreKind {
  readonly name: string;
  open(): Promise<{
    store: StateStore;
    reopen: () => Promise<StateStore>;
    cleanup: () => Promise<void>;
  }>;
}

export const STORES: readonly StoreKind[] = [
  {
    name: 'memory',
    open() {
      const store = createMemoryStore();
      return Promise.resolve({
        store,
        reopen: () => Promise.resolve(store),
        cleanup: () => store.close(),
      });
    },
  },
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'clusnotify-service-'));
      const path = join(dir, 'cluster.db');
      let current: StateStore = await openSqliteStore({ path });
      return {
        store: current,
        async reopen() {
          await current.close();
          current = await openSqliteStore({ path });
          return current;
        },
        async cleanup() {
          await current.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

let counter = 0;
/** Deterministic GUIDs for tests. */
export function testIds(): () => string {
  return () => `00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, '0')}`;
}

export async function start(
  store: StateStore,
  options: Partial<ClusterServiceOptions> = {},
): Promise<ClusterService> {
  return startClusterService({
    store,
    newId: testIds(),
    engine: { clock: new ManualClock() },
    ...options,
  });
}

export function ok<T extends { type: string; status: number }>(r: T): Extract<T, { type: 'ok' }> {
  assert.equal(r.type, 'ok', JSON.stringify(r));
  return r as Extract<T, { type: 'ok' }>;
}

export function fails(r: { type: string; status: number }, status: number, code: string): void {
  assert.equal(r.type, 'error', JSON.stringify(r));
  assert.equal(r.status, status, JSON.stringify(r));
  assert.equal((r as { code?: string }).code, code, JSON.stringify(r));
}

/** The CLI's entry point (built), for tests that run `clusnotify serve` as a process. */
export const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

/** A TCP port free on loopback now (closed again before it is returned). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
