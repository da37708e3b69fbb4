import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
