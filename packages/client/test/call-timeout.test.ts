import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { connect } from '@clusnotify/client';
import { ClusnotifyError } from '@clusnotify/protocol';
import { welcomeFrame } from './fake-server.js';

/**
 * A server that welcomes every connection and answers its calls, but for `execute` only when
 * the command names the resource "answered": the others wait forever.
 */
async function pickyServer(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    ws.once('message', () => ws.send(JSON.stringify({ ...welcomeFrame(), features: [] })));
    ws.on('message', (d) => {
      const f = JSON.parse((d as Buffer).toString('utf8')) as {
        t: string;
        id?: number;
        m?: string;
        p?: { command?: { resource?: string } };
      };
      if (f.t !== 'call') return;
      if (f.m !== 'execute' || f.p?.command?.resource === 'answered')
        ws.send(
          JSON.stringify({
            t: 'result',
            id: f.id,
            r: { type: 'ok', status: 0, revision: 7, handle: 'h' },
          }),
        );
    });
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('each call times out at its own deadline with TIMEOUT; answered calls are not touched, and no call timer outlives the calls', async () => {
  const server = await pickyServer();
  const client = await connect(server.url, { token: 't', callTimeoutMs: 200 }).catch(
    async (e: unknown) => {
      await server.close();
      throw e;
    },
  );
  try {
    const idle = timers();
    const started = performance.now();
    const settled = (p: Promise<unknown>): Promise<{ ms: number; error?: unknown }> =>
      p.then(
        () => ({ ms: performance.now() - started }),
        (error: unknown) => ({ ms: performance.now() - started, error }),
      );
    const first = settled(client.onlineResource('silent 1'));
    const answered = await client.onlineResource('answered');
    assert.equal(answered.revision, 7);
    await new Promise((r) => setTimeout(r, 400));
    const second = settled(client.onlineResource('silent 2'));
    const [a, b] = await Promise.all([first, second]);
    for (const [r, name] of [
      [a, 'silent 1'],
      [b, 'silent 2'],
    ] as const) {
      const e = r.error;
      assert.ok(e instanceof ClusnotifyError, `${name}: ${String(e)}`);
      assert.equal(e.code, 'TIMEOUT');
      assert.match(e.message, /execute got no result .* within 200 ms/);
    }
    // Each at its own deadline: the first after 200 ms, the second ~400 ms later, not with it
    // (a loaded machine may fire the timer late, never early).
    assert.ok(a.ms >= 200 && a.ms < 2000, `first timed out after ${a.ms.toFixed(0)} ms`);
    assert.ok(b.ms >= a.ms + 250, `second at ${b.ms.toFixed(0)} ms, first at ${a.ms.toFixed(0)}`);
    // Nothing in flight: the client holds no timer for calls (an idle process may exit).
    assert.equal(timers(), idle);
    // The connection still works after the timeouts.
    assert.equal((await client.onlineResource('answered')).revision, 7);
    assert.equal(timers(), idle);
  } finally {
    await client.close();
    await server.close();
  }
});
