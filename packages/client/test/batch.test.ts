/**
 * Batch messages (docs/protocol.md §2, decisions D54): the frames the client sends in one run of
 * microtasks leave as one message when the server's welcome lists `batch`, and alone otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { connect } from '@clusnotify/client';
import type { WebSocketConstructor } from '@clusnotify/client';
import { CLIENT_BATCH_FRAMES } from '@clusnotify/protocol';
import { welcomeFrame } from './fake-server.js';
import { startCluster } from './helpers.js';

/** A `ws` WebSocket class that records the text of every message the client sends. */
function recording(sent: string[]): WebSocketConstructor {
  class Recording extends WebSocket {
    override send(data: string, ...rest: unknown[]): void {
      sent.push(data);
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return Recording;
}

/** How many frames each recorded message holds (a lone frame: 1). */
const frameCounts = (sent: readonly string[]): number[] =>
  sent.map((s) => {
    const json: unknown = JSON.parse(s);
    return Array.isArray(json) ? json.length : 1;
  });

test('the calls of one turn leave in batch messages of at most CLIENT_BATCH_FRAMES frames, and each gets its own result', async () => {
  const c = await startCluster();
  try {
    const sent: string[] = [];
    const client = await c.client({ WebSocket: recording(sent) });
    sent.length = 0;
    const n = 2 * CLIENT_BATCH_FRAMES + 22;
    const handles = await Promise.all(Array.from({ length: n }, () => client.openCluster()));
    assert.equal(new Set(handles).size, n, 'a handle for every call');
    assert.deepEqual(frameCounts(sent), [CLIENT_BATCH_FRAMES, CLIENT_BATCH_FRAMES, 22]);
    // Mutations in one batch are applied in the order they were sent.
    sent.length = 0;
    const order = ['SQL Disk', 'FS Disk', 'SQL Disk'];
    const results = await Promise.all(
      order.map((resource, i) =>
        client.execute({ type: i === 2 ? 'resource.online' : 'resource.offline', resource }),
      ),
    );
    assert.deepEqual(frameCounts(sent), [3]);
    const revisions = results.map((r) => r.revision);
    assert.deepEqual(
      revisions,
      [...revisions].sort((a, b) => a - b),
      'revisions in send order',
    );
    const state = c.service.state;
    const stateOf = (name: string): number | undefined =>
      [...state.resources.values()].find((r) => r.name === name)?.state;
    assert.equal(stateOf('SQL Disk'), 2, 'SQL Disk back online (offline, then online)');
    assert.equal(stateOf('FS Disk'), 3, 'FS Disk offline');
    // A lone call leaves as a plain frame.
    sent.length = 0;
    await client.openCluster();
    assert.equal(sent.length, 1);
    assert.equal((JSON.parse(sent[0] as string) as { t: string }).t, 'call');
  } finally {
    await c.close();
  }
});

test('to a server whose welcome does not list batch, every frame leaves alone', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const received: unknown[] = [];
  wss.on('connection', (ws) => {
    ws.once('message', () => ws.send(JSON.stringify({ ...welcomeFrame(), features: ['stream'] })));
    ws.on('message', (d) => {
      const f = JSON.parse((d as Buffer).toString('utf8')) as { t: string; id?: number };
      received.push(f);
      if (f.t === 'call')
        ws.send(
          JSON.stringify({ t: 'result', id: f.id, r: { type: 'ok', status: 0, handle: 'h' } }),
        );
    });
  });
  const { port } = wss.address() as { port: number };
  const client = await connect(`ws://127.0.0.1:${port}/v1`, { token: 't' });
  try {
    received.length = 0;
    await Promise.all(Array.from({ length: 20 }, () => client.openCluster()));
    assert.equal(received.length, 20);
    assert.ok(received.every((f) => !Array.isArray(f) && (f as { t: string }).t === 'call'));
  } finally {
    await client.close();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});
