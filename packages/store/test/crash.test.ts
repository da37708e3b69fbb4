import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '@clusnotify/store';
import type { JsonValue } from '@clusnotify/store';

/** How long the child keeps committing, counted from its first acknowledgement. */
const ACK_WINDOW_MS = 300;

test('a SQLite store killed with SIGKILL mid-commit reopens with every acknowledged commit whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'clusnotify-crash-test-'));
  try {
    const path = join(dir, 'state.db');
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./crash-child.js', import.meta.url)), path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(child, 'exit');
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      timer ??= setTimeout(() => child.kill('SIGKILL'), ACK_WINDOW_MS);
    });
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    assert.equal(signal, 'SIGKILL', `the child ended by itself (code ${code})`);

    // Only complete lines are acknowledgements; a line cut by the kill is not counted.
    const acked = text
      .split('\n')
      .slice(0, -1)
      .map((line) => Number(line));
    assert.ok(acked.length >= 10, `only ${acked.length} commits acknowledged`);
    assert.deepEqual(
      acked,
      acked.map((_, i) => i + 1),
      'acknowledged in revision order',
    );
    const lastAcked = acked.at(-1) ?? 0;

    const store = await openSqliteStore({ path });
    try {
      const revision = await store.revision();
      assert.ok(revision >= lastAcked, `revision ${revision} < last acknowledged ${lastAcked}`);
      const log = await store.readSince(0, revision);
      assert.equal(log.type, 'commits');
      assert.deepEqual(
        log.commits.map((c) => c.revision),
        Array.from({ length: revision }, (_, i) => i + 1),
        'every commit up to the revision is in the log, acknowledged or not',
      );
      const value = async (kind: string, id: string): Promise<JsonValue | undefined> =>
        (await store.get({ kind, id }))?.value;
      assert.equal(await value('counter', 'c'), revision);
      for (const part of [0, 1, 2])
        assert.deepEqual(await value('part', `p${part}`), {
          revision,
          part,
          pad: 'x'.repeat(64),
        });
      const last = log.commits.at(-1);
      assert.deepEqual(last?.changes, [
        { type: 'counter', revision },
        { type: 'parts', revision },
      ]);
      assert.equal(
        (await store.commit({ puts: [], deletes: [], changes: [] })).revision,
        revision + 1,
      );
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
