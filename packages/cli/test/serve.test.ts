import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { connect } from '@clusnotify/client';
import { ClusterChangeResourceV2, ClusterObjectType } from '@clusnotify/protocol';
import { MAIN, startServe, stopServe } from './serve-process.js';

test('clusnotify serve starts the default cluster, prints a token once, answers /healthz, stops on SIGTERM and keeps its state', async () => {
  const data = mkdtempSync(join(tmpdir(), 'clusnotify-serve-'));
  try {
    const first = await startServe(data);
    assert.match(first.banner, /new cluster created/);
    assert.ok(first.token !== undefined, 'a token is shown on first start');
    const health = (await (await fetch(`${first.http}/healthz`)).json()) as {
      status: string;
      revision: number;
    };
    assert.equal(health.status, 'ok');
    assert.ok(health.revision > 10);
    assert.equal(await stopServe(first), 0);

    const second = await startServe(data);
    assert.equal(second.token, undefined, 'the token is not shown again');
    assert.match(second.banner, new RegExp(`revision ${health.revision}`));
    assert.equal(await stopServe(second), 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('bad usage exits 2 with a message; a port in use exits 1 with the error code', async () => {
  const run = (args: string[]): Promise<{ code: number | null; err: string }> =>
    new Promise((resolve) => {
      const c = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr.setEncoding('utf8');
      c.stderr.on('data', (d: string) => (err += d));
      c.once('exit', (code) => resolve({ code, err }));
    });
  const bad = await run(['serve', '--port', 'x']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /port must be an integer/);
  const badRetain = await run(['serve', '--retain-mib', '0']);
  assert.equal(badRetain.code, 2);
  assert.match(badRetain.err, /retain MiB must be an integer from 1 to 1048576/);
  // Options that would be ignored are refused, not dropped.
  for (const [args, message] of [
    [
      ['--etcd', 'http://127.0.0.1:1', '--node-name', 'n1', '--store', 'memory'],
      /--store does not go with --etcd/,
    ],
    [['--lease-ttl', '5'], /--etcd-prefix and --lease-ttl go with --etcd/],
    [['--etcd-prefix', '/x/'], /--etcd-prefix and --lease-ttl go with --etcd/],
    [['--retain-mib', '64'], /--retain-mib goes with --store memory/],
  ] as const) {
    const r = await run(['serve', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
  }
  const data = mkdtempSync(join(tmpdir(), 'clusnotify-serve-'));
  try {
    const noKind = await run(['token', 'create', '--data', data]);
    assert.equal(noKind.code, 2);
    assert.match(noKind.err, /USAGE/);
    const r = await startServe(data);
    const port = new URL(r.http).port;
    const busy = await run([
      'serve',
      '--data',
      mkdtempSync(join(tmpdir(), 'clusnotify-serve-')),
      '--port',
      port,
    ]);
    assert.equal(busy.code, 1);
    assert.match(busy.err, /EADDRINUSE/);
    assert.equal(await stopServe(r), 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('a token created while serve runs works at once; a revoked one is refused at once', async () => {
  const data = mkdtempSync(join(tmpdir(), 'clusnotify-serve-'));
  const cli = (args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((resolve) => {
      const c = spawn(process.execPath, [MAIN, ...args, '--data', data], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      c.once('exit', (code) => resolve({ code, out, err }));
    });
  /** The first frame the server answers a hello with this token. */
  const hello = async (url: string, token: string): Promise<string> => {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const first = new Promise<string>((resolve) =>
      ws.once('message', (d) => resolve((d as Buffer).toString('utf8'))),
    );
    ws.send(JSON.stringify({ t: 'hello', v: 1, token }));
    const f = JSON.parse(await first) as { t: string; code?: string };
    ws.close();
    return f.t === 'welcome' ? 'welcome' : (f.code ?? f.t);
  };
  try {
    const r = await startServe(data);
    const created = await cli(['token', 'create', '--read']);
    assert.equal(created.code, 0, created.err);
    const secret = created.out.trim();
    assert.equal(await hello(r.url, secret), 'welcome', 'no restart needed');
    // A watch with the token, running when it is revoked: it ends with AUTH_FAILED (D42).
    const watcher = spawn(process.execPath, [MAIN, 'watch', '--url', r.url, '--token', secret], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let watchErr = '';
    watcher.stderr.setEncoding('utf8').on('data', (d: string) => (watchErr += d));
    const watchExit = new Promise<number | null>((resolve) => watcher.once('exit', resolve));
    for (let i = 0; i < 200 && !watchErr.includes('watching'); i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    assert.match(watchErr, /watching/);
    const listed = await cli(['token', 'list']);
    const id = listed.out
      .split('\n')
      .find((l) => l.includes(' read '))
      ?.split(' ')[0];
    assert.ok(id !== undefined, listed.out);
    assert.equal((await cli(['token', 'revoke', id])).code, 0);
    assert.equal(await hello(r.url, secret), 'AUTH_FAILED');
    assert.equal(await watchExit, 1, watchErr);
    assert.match(watchErr, /AUTH_FAILED/);
    const again = await cli(['token', 'revoke', id]);
    assert.equal(again.code, 1);
    assert.match(again.err, /TOKEN_NOT_FOUND/);
    assert.equal(await stopServe(r), 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('serve --retain-mib bounds the memory store history a client can resume from: older revisions answer HISTORY_COMPACTED, recent ones replay', async () => {
  const data = mkdtempSync(join(tmpdir(), 'clusnotify-serve-'));
  const r = await startServe(data, ['--store', 'memory', '--retain-mib', '1']);
  try {
    const client = await connect(r.url, { token: r.token ?? '' });
    try {
      const first = (await client.getServerInfo()).revision;
      // Random text does not pack: 60 commits of 24 KB each are well past 1 MiB of history.
      let last = first;
      for (let i = 0; i < 60; i++) {
        const { revision } = await client.execute({
          type: 'resource.set-properties',
          resource: 'FS Disk',
          properties: { Retained: randomBytes(18 * 1024).toString('base64') },
        });
        last = revision;
      }
      const filters = [
        {
          kind: 'v2' as const,
          objectType: ClusterObjectType.RESOURCE,
          filterFlags: ClusterChangeResourceV2.COMMON_PROPERTY,
          notifyKey: 1,
        },
      ];
      await assert.rejects(client.openPort({ version: 2, filters, sinceRevision: first }), {
        code: 'HISTORY_COMPACTED',
      });
      // The last few commits are still there, and replay.
      const port = await client.openPort({ version: 2, filters, sinceRevision: last - 3 });
      const got: number[] = [];
      for (let i = 0; i < 3; i++) {
        const n = await port.next({ timeoutMs: 5000 });
        assert.equal(n.type, 'indication');
        if (n.type === 'indication') got.push(n.indication.revision);
      }
      assert.deepEqual(got, [last - 2, last - 1, last]);
    } finally {
      await client.close();
    }
    assert.equal(await stopServe(r), 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
