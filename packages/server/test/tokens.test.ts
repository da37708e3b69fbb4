import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTokenFile } from '@clusnotify/server';

function tempFile(): { path: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'clusnotify-tokens-'));
  return { path: join(dir, 'tokens.json'), done: () => rmSync(dir, { recursive: true }) };
}

test('a token created or revoked by another process counts at once for a running server', () => {
  const f = tempFile();
  try {
    const server = openTokenFile(f.path);
    const first = server.create('full');
    const cli = openTokenFile(f.path); // `clusnotify token create` in another process
    const read = cli.create('read');
    assert.equal(server.check(read), 'read', 'a new token works without a restart');
    assert.equal(server.check(first), 'full');
    const id = cli.list().find((r) => r.access === 'read')?.id ?? '';
    assert.equal(cli.revoke(id), true);
    assert.equal(server.check(read), undefined, 'a revoked token is refused at once');
    assert.equal(server.check(first), 'full');
    assert.equal(cli.revoke(id), false, 'revoking twice finds nothing');
    assert.equal((statSync(f.path).mode & 0o777).toString(8), '600');
    assert.ok(!readFileSync(f.path, 'utf8').includes(first), 'only hashes are stored');
  } finally {
    f.done();
  }
});

test('a token file broken by hand keeps the tokens known so far; a broken file at start throws', () => {
  const f = tempFile();
  try {
    const server = openTokenFile(f.path);
    const secret = server.create('full');
    writeFileSync(f.path, '{ not json');
    assert.equal(server.check(secret), 'full');
    assert.throws(() => openTokenFile(f.path), SyntaxError);
  } finally {
    f.done();
  }
});

test('onRevoked hears of every token revoked here or in the file, once, until it is removed', async () => {
  const f = tempFile();
  try {
    const server = openTokenFile(f.path, { watchIntervalMs: 20 });
    const secrets = [server.create('full'), server.create('read'), server.create('read')];
    const ids = secrets.map((s) => server.identify(s)?.id ?? '');
    const heard: string[][] = [];
    const stop = server.onRevoked((gone) => heard.push([...gone]));

    assert.equal(server.revoke(ids[0] ?? ''), true);
    assert.deepEqual(heard, [[ids[0]]], 'revoked through this store: heard at once');

    const cli = openTokenFile(f.path); // `clusnotify token revoke` in another process
    assert.equal(cli.revoke(ids[1] ?? ''), true);
    const deadline = Date.now() + 3000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(heard[1], [ids[1]], 'revoked in the file: heard by watching it');

    assert.equal(cli.revoke(ids[2] ?? ''), true);
    assert.equal(server.check(secrets[2] ?? ''), undefined);
    assert.deepEqual(heard[2], [ids[2]], 'a check that reads the changed file hears it too');
    assert.equal(heard.length, 3, 'each once');

    stop();
    const more = server.create('read');
    assert.equal(cli.revoke(server.identify(more)?.id ?? ''), true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.check(more), undefined);
    assert.equal(heard.length, 3, 'nothing after the listener was removed');
  } finally {
    f.done();
  }
});
