/**
 * Child process of the crash test (crash.test.ts), not a test itself: opens the SQLite store
 * at argv[2] and commits until it is killed, printing each acknowledged revision on its own
 * line. Every commit puts the counter document (its value is the commit's revision), three
 * part documents holding the same revision, and two change records. Commits go out in groups
 * of 8 per tick, each with the expectRevision its place in the group implies, so group commit
 * and the conflict check are both on the path being killed.
 */
import { openSqliteStore } from '@clusnotify/store';
import type { CommitInput } from '@clusnotify/store';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-child.js <database path>');
const store = await openSqliteStore({ path });

function crashCommit(revision: number): CommitInput {
  return {
    puts: [
      { kind: 'counter', id: 'c', value: revision },
      ...[0, 1, 2].map((part) => ({
        kind: 'part',
        id: `p${part}`,
        value: { revision, part, pad: 'x'.repeat(64) },
      })),
    ],
    deletes: [],
    changes: [
      { type: 'counter', revision },
      { type: 'parts', revision },
    ],
  };
}

for (;;) {
  const base = await store.revision();
  const group = Array.from({ length: 8 }, (_, i) =>
    store.commit(crashCommit(base + i + 1), { expectRevision: base + i }).then((commit) => {
      process.stdout.write(`${commit.revision}\n`);
    }),
  );
  await Promise.all(group);
}
