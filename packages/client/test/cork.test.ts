import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '@clusnotify/client';
import { startCluster } from './helpers.js';

test('the calls one turn makes leave in one socket write (the ws package, Node.js)', async () => {
  const c = await startCluster();
  try {
    let socket: Socket | undefined;
    /** The ws package's WebSocket, handing out its TCP socket as the client sees it. */
    class Spied extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('upgrade', (res) => {
          socket = res.socket;
        });
      }
    }
    const client = await c.client({ WebSocket: Spied as unknown as WebSocketConstructor });
    assert.ok(socket !== undefined);
    // Every system call the socket makes is one of these two.
    const s = socket as Socket & Record<'_write' | '_writev', (...args: unknown[]) => void>;
    let writes = 0;
    for (const name of ['_write', '_writev'] as const) {
      const original = s[name].bind(s);
      s[name] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    const handles = await Promise.all(Array.from({ length: 50 }, () => client.openCluster()));
    assert.equal(handles.length, 50);
    assert.ok(writes <= 2, `${writes} socket writes for 50 calls`);
    // Corked only to the end of the turn: a lone call still goes out and is answered.
    writes = 0;
    await client.openCluster();
    assert.equal(writes, 1);
  } finally {
    await c.close();
  }
});
