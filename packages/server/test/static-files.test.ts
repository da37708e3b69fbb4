import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createMemoryStore } from '@clusnotify/store';
import { createTokenStore, startClusterService, startWsServer } from '@clusnotify/server';
import type { ClusterService, WsServer } from '@clusnotify/server';

let base: string;
let service: ClusterService;
let server: WsServer;
let origin: string;

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'clusnotify-static-'));
  const dir = join(base, 'site');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'assets', 'app-1a2b.js'), `console.log(${'1+'.repeat(400)}1);`);
  writeFileSync(join(dir, 'assets', 'style.css'), 'body{}');
  writeFileSync(join(dir, 'notes.md'), 'not a served type');
  writeFileSync(join(base, 'secret.txt'), 'outside the root');
  symlinkSync(join(base, 'secret.txt'), join(dir, 'link.txt'));
  service = await startClusterService({ store: createMemoryStore() });
  server = await startWsServer({
    service,
    tokens: createTokenStore(),
    host: '127.0.0.1',
    port: 0,
    staticDir: dir,
  });
  origin = `http://127.0.0.1:${server.port}`;
});

after(async () => {
  await server.close();
  await service.close();
  rmSync(base, { recursive: true, force: true });
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A raw request: the path goes out exactly as given (fetch would normalise `..`). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/`, { method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('/ serves index.html with its content type, no-cache and a restrictive content security policy', async () => {
  const r = await get('/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(r.body.toString(), '<!doctype html><title>x</title>');
  const again = await get('/', { 'if-none-match': String(r.headers.etag) });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
});

test('hashed assets are immutable for a year, compressed on request, and HEAD sends no body', async () => {
  const r = await get('/assets/app-1a2b.js', { 'accept-encoding': 'gzip, br' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.match(gunzipSync(r.body).toString(), /^console\.log/);
  const css = await get('/assets/style.css?v=2');
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  const head = await get('/assets/style.css', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], '6');
});

test('paths outside the directory, symlinks out of it, unknown types and other methods get 404', async () => {
  for (const path of [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/link.txt',
    '/notes.md',
    '/missing.js',
    '/%E0%A4%A',
    '//etc/passwd',
  ]) {
    const r = await get(path);
    assert.equal(r.status, 404, path);
    assert.ok(!r.body.toString().includes('outside the root'), path);
  }
  assert.equal((await get('/', {}, 'POST')).status, 404);
  assert.equal((await get('/healthz')).status, 200, 'the server routes still answer');
});

test('a directory without index.html is refused at start', async () => {
  await assert.rejects(
    startWsServer({
      service,
      tokens: createTokenStore(),
      port: 0,
      staticDir: join(base, 'site', 'assets'),
    }),
    /no index\.html/,
  );
});
