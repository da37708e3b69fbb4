import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createMemoryStore } from '@clusnotify/store';
import { createTokenStore, startClusterService, startWsServer } from '@clusnotify/server';
import type { ClusterService, WsServer } from '@clusnotify/server';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Running {
  /** Resolves once stderr contains `text`. */
  waitFor(text: string): Promise<void>;
  readonly done: Promise<Run>;
}

let service: ClusterService;
let server: WsServer;
let full: string;
let read: string;

before(async () => {
  service = await startClusterService({ store: createMemoryStore() });
  const tokens = createTokenStore();
  full = tokens.create('full');
  read = tokens.create('read');
  server = await startWsServer({ service, tokens, host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server.close();
  await service.close();
});

/** Starts the CLI with `args` (the server's URL and a token come first); killed after 15 s. */
function start(args: readonly string[], token: string = full): Running {
  const child = spawn(process.execPath, [MAIN, ...args, '--url', server.url, '--token', token], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLUSNOTIFY_URL: '', CLUSNOTIFY_TOKEN: '' },
  });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.filter((x) => stderr.includes(x.text))) w.resolve();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const done = new Promise<Run>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return {
    done,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void done.then((r) => reject(new Error(`exited ${String(r.code)}: ${r.stderr}`)));
      }),
  };
}

function run(args: readonly string[], token?: string): Promise<Run> {
  return start(args, token).done;
}

interface StatusJson {
  cluster: {
    objects: { kind: string; value: { id: string; name: string; ownerNodeId?: string } }[];
  };
  server: { sessions: number };
}

test('status shows the nodes and the groups', async () => {
  const r = await run(['status']);
  assert.equal(r.code, 0, r.stderr);
  for (const n of ['NODE1', 'NODE2', 'NODE3'])
    assert.match(r.stdout, new RegExp(`${n}\\s+ClusterNodeUp`));
  for (const g of ['Cluster Group', 'SQL Group', 'File Server Group'])
    assert.ok(r.stdout.includes(`"${g}"`));
  assert.match(r.stdout, /server {2}sessions \d+/);
});

test('group move succeeds and status --json shows the new owner', async () => {
  const r = await run(['group', 'move', 'SQL Group', '--node', 'NODE1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ok \(revision \d+\)\n$/);
  const s = await run(['status', '--json']);
  assert.equal(s.code, 0, s.stderr);
  const j = JSON.parse(s.stdout) as StatusJson;
  const node1 = j.cluster.objects.find((o) => o.kind === 'node' && o.value.name === 'NODE1');
  const sql = j.cluster.objects.find((o) => o.kind === 'group' && o.value.name === 'SQL Group');
  assert.ok(node1 !== undefined && sql !== undefined);
  assert.equal(sql.value.ownerNodeId, node1.value.id);
});

test('watch --json --count 3 --class resource prints the indications of a later change', async () => {
  const before = service.revision;
  const w = start(['watch', '--json', '--count', '3', '--class', 'resource']);
  await w.waitFor('watching');
  const m = await run(['resource', 'offline', 'SQL Disk']);
  assert.equal(m.code, 0, m.stderr);
  const r = await w.done;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { revision: number; objectType: string; flag: string });
  assert.equal(lines.length, 3);
  let last = before;
  for (const l of lines) {
    assert.ok(l.revision > before && l.revision >= last, `revision ${l.revision} after ${last}`);
    last = l.revision;
    assert.equal(l.objectType, 'CLUSTER_OBJECT_TYPE_RESOURCE');
  }
  assert.ok(lines.some((l) => l.flag === 'CLUSTER_CHANGE_RESOURCE_STATE_V2'));
  await run(['resource', 'online', 'SQL Disk']);
});

test('watch --since replays the history after a revision', async () => {
  const since = service.revision;
  assert.equal((await run(['node', 'pause', 'NODE3'])).code, 0);
  assert.equal((await run(['node', 'resume', 'NODE3'])).code, 0);
  const r = await run(['watch', '--since', String(since), '--count', '2', '--class', 'node']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /r\d+ {2}NODE {2}NODE_STATE_V2 {2}"NODE3" {2}ClusterNodePaused/);
  assert.match(lines[1] ?? '', /"NODE3" {2}ClusterNodeUp/);
});

test('a read token may watch but gets ACCESS_DENIED on a change', async () => {
  assert.equal((await run(['node', 'list'], read)).code, 0);
  const r = await run(['node', 'pause', 'NODE2'], read);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^clusnotify: ACCESS_DENIED: /);
});

test('a wrong token exits 1 with AUTH_FAILED', async () => {
  const r = await run(['status'], 'cn_f_wrong');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^clusnotify: AUTH_FAILED: /);
});

test('unknown names exit 1 with their not-found code', async () => {
  const show = await run(['node', 'show', 'NODE9']);
  assert.equal(show.code, 1);
  assert.match(show.stderr, /clusnotify: NODE_NOT_FOUND: /);
  const online = await run(['resource', 'online', 'No Such Resource']);
  assert.equal(online.code, 1);
  assert.match(online.stderr, /clusnotify: RESOURCE_NOT_FOUND: /);
});

test('bad usage exits 2', async () => {
  assert.equal((await run(['watch', '--class', 'bogus'])).code, 2);
  assert.equal((await run(['resource', 'create', 'X'])).code, 2);
  assert.equal((await run(['status', '--bogus'])).code, 2);
  assert.equal((await run(['node', 'set', 'NODE1', 'novalue'])).code, 2);
});

test('object verbs create, list, set and delete', async () => {
  assert.equal((await run(['group', 'create', 'Test Group', '--node', 'NODE2'])).code, 0);
  const list = await run(['group', 'list']);
  assert.match(list.stdout, /Test Group\s+NODE2/);
  assert.equal((await run(['group', 'set', 'Test Group', 'FailoverThreshold=7'])).code, 0);
  const show = await run(['group', 'show', 'Test Group', '--json']);
  const g = JSON.parse(show.stdout) as { common: Record<string, unknown> };
  assert.equal(g.common.FailoverThreshold, 7);
  assert.equal((await run(['key', 'set', 'Parameters', 'Level', '3', '--type', 'dword'])).code, 0);
  assert.match((await run(['key', 'show', 'Parameters'])).stdout, /Level\s+4\s+3/);
  assert.equal((await run(['group', 'delete', 'Test Group'])).code, 0);
});

test('watch stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN, 'watch', '--url', server.url, '--token', full], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('watching')) resolve();
    });
  });
  const code = await new Promise<number | null>((resolve) => {
    child.once('close', resolve);
    child.kill('SIGTERM');
  });
  assert.equal(code, 0, stderr);
});

test('the clusnotify bin starts under the node flags of its first line', () => {
  // The shebang's flags are passed to node as they are: one it does not know would stop every
  // start of the command, so they are run here through the bin itself.
  const bin = fileURLToPath(new URL('../../bin/clusnotify.js', import.meta.url));
  const first = readFileSync(bin, 'utf8').split('\n')[0] ?? '';
  const flags = /^#!\/usr\/bin\/env -S node( .*)?$/.exec(first);
  assert.ok(flags, `the bin's first line runs node through env -S: ${first}`);
  const out = execFileSync(
    process.execPath,
    [...(flags[1] ?? '').split(' ').filter(Boolean), bin, '--version'],
    { encoding: 'utf8' },
  );
  assert.match(out, /\d+\.\d+\.\d+/);
});
