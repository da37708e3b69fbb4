/**
 * The stores the in-process benchmarks run on: each run gets a fresh one, closed (and for SQLite
 * its directory removed) when the run ends, whatever the run did.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, openSqliteStore } from '@clusnotify/store';
import type { StateStore } from '@clusnotify/store';

/** Runs `run` on a fresh store of `kind` and gives back what it returned. */
export async function onFreshStore<T>(
  kind: 'memory' | 'sqlite',
  run: (store: StateStore) => Promise<T>,
): Promise<T> {
  if (kind === 'memory') {
    const store = createMemoryStore();
    try {
      return await run(store);
    } finally {
      await store.close();
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'clusnotify-bench-'));
  try {
    const store = await openSqliteStore({ path: join(dir, 'bench.db') });
    try {
      return await run(store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
