import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { connect } from '@clusnotify/client';
import type { ClientState } from '@clusnotify/client';
import { welcomeFrame } from './fake-server.js';
import { startCluster } from './helpers.js';

/**
 * A server that welcomes every connection and answers its calls until `silence()`, then never
 * says anything again: to the client, a half-open connection (the server lost power, or the
 * network path dropped).
 */
async function silentServer(): Promise<{
  url: string;
  connections: () => number;
  silence(): void;
  close(): Promise<void>;
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  let connections = 0;
  let silent = false;
  wss.on('connection', (ws) => {
    connections++;
    ws.on('message', (d) => {
      const f = JSON.parse((d as Buffer).toString('utf8')) as { t: string; id?: number };
      if (silent) return;
      if (f.t === 'call')
        ws.send(
          JSON.stringify({ t: 'result', id: f.id, r: { type: 'ok', status: 0, handle: 'h' } }),
        );
    });
    // Welcomed as by a server that does not stream ports.
    ws.once('message', () => ws.send(JSON.stringify({ ...welcomeFrame(), features: [] })));
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    connections: () => connections,
    silence: () => {
      silent = true;
    },
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

test('a server that goes silent is noticed by the heartbeat and the client reconnects', async () => {
  const server = await silentServer();
  try {
    const client = await connect(server.url, {
      token: 't',
      heartbeatMs: 100,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    });
    server.silence();
    const states: ClientState[] = [];
    client.onStateChange((s) => states.push(s));
    const started = Date.now();
    while (!states.includes('reconnecting') && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(states.includes('reconnecting'), `states: ${states.join(', ')}`);
    // Nothing for 100 ms, then a probe that gets no answer within 100 ms.
    assert.ok(Date.now() - started < 2000);
    while (server.connections() < 2 && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 20));
    assert.ok(server.connections() >= 2, 'it connected again');
    await client.close();
  } finally {
    await server.close();
  }
});

test('a quiet but live server keeps the connection: the probe is answered', async () => {
  const c = await startCluster();
  try {
    const client = await c.client({ heartbeatMs: 50 });
    const states: ClientState[] = [];
    client.onStateChange((s) => states.push(s));
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(states, [], 'no reconnect');
    assert.equal(client.state, 'open');
  } finally {
    await c.close();
  }
});

test('bad connection options are INVALID_ARGUMENT: heartbeatMs, delivery, streamWindow', async () => {
  await assert.rejects(connect('ws://127.0.0.1:1/v1', { token: 't', heartbeatMs: -1 }), {
    code: 'INVALID_ARGUMENT',
  });
  const url = 'ws://127.0.0.1:1/v1';
  await assert.rejects(connect(url, { token: 't', delivery: 'push' as 'stream' }), {
    code: 'INVALID_ARGUMENT',
  });
  await assert.rejects(connect(url, { token: 't', streamWindow: 0 }), { code: 'INVALID_ARGUMENT' });
});
