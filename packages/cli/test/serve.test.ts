import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Every server a test started, so that a failing test still stops them. */
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly http: string;
  readonly token: string | undefined;
  readonly banner: string;
}

/** Starts `clusnotify serve` on a free port and waits for its banner. */
async function startServe(data: string, extra: string[] = []): Promise<Running> {
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--data', data, '--port', '0', '--log-level', 'warn', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  child.stdout?.setEncoding('utf8');
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 10_000);
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('health:')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${String(code)}: ${out}`)));
  });
  const url = /at (ws:\/\/\S+)/.exec(banner)?.[1] ?? '';
  return {
    child,
    url,
    http: url.replace('ws://', 'http://').replace('/v1', ''),
    token: /(cn_f_\S+)/.exec(banner)?.[1],
    banner,
  };
}

function stop(r: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    r.child.once('exit', (code) => resolve(code));
    r.child.kill(signal);
  });
}

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
    assert.equal(await stop(first), 0);

    const second = await startServe(data);
    assert.equal(second.token, undefined, 'the token is not shown again');
    assert.match(second.banner, new RegExp(`revision ${health.revision}`));
    assert.equal(await stop(second), 0);
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
    assert.equal(await stop(r), 0);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
