/**
 * A token revoked while the client uses it (decisions D42): the server ends the sessions it
 * opened with AUTH_FAILED, and the client closes itself with that reason instead of
 * reconnecting forever; so does a client whose token is refused when it reconnects. Clients
 * with other tokens go on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClusterChangeResourceV2, ClusterObjectType, ClusnotifyError } from '@clusnotify/protocol';
import { createMemoryStore } from '@clusnotify/store';
import { openTokenFile, startClusterService, startWsServer } from '@clusnotify/server';
import type { WsServer } from '@clusnotify/server';
import { connect } from '@clusnotify/client';
import type { Client, ClientState } from '@clusnotify/client';
import { run, take, until } from './helpers.js';

/** Every state change of `client`, with the code of its reason. */
function statesOf(client: Client): [ClientState, string | undefined][] {
  const states: [ClientState, string | undefined][] = [];
  client.onStateChange((s, reason) => states.push([s, reason?.code]));
  return states;
}

const resourceStates = {
  version: 2,
  filters: [
    {
      kind: 'v2',
      objectType: ClusterObjectType.RESOURCE,
      filterFlags: ClusterChangeResourceV2.STATE,
      notifyKey: 7,
    },
  ],
} as const;

/** A server whose tokens live in a file, as `serve` keeps them; `revoke` is `clusnotify token revoke`. */
async function withFileTokens(
  fn: (t: {
    readonly url: () => string;
    readonly kept: string;
    readonly doomed: string;
    revoke(): void;
    readonly service: Awaited<ReturnType<typeof startClusterService>>;
    restartServer(between: () => void): Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clusnotify-revoked-'));
  const file = join(dir, 'tokens.json');
  const store = createMemoryStore();
  const service = await startClusterService({ store });
  const tokens = openTokenFile(file, { watchIntervalMs: 20 });
  const kept = tokens.create('full');
  const doomed = tokens.create('read');
  let server: WsServer = await startWsServer({ service, tokens, host: '127.0.0.1', port: 0 });
  const port = server.port;
  try {
    await fn({
      url: () => server.url,
      kept,
      doomed,
      service,
      revoke() {
        const cli = openTokenFile(file);
        const id = cli.list().find((r) => r.access === 'read')?.id ?? '';
        assert.equal(cli.revoke(id), true);
      },
      async restartServer(between) {
        await server.close();
        between();
        server = await startWsServer({ service, tokens, host: '127.0.0.1', port });
      },
    });
  } finally {
    await server.close();
    await service.close();
    await store.close();
    rmSync(dir, { recursive: true });
  }
}

test('a revoked token ends its client with AUTH_FAILED (no reconnecting); a client with another token goes on', async () => {
  await withFileTokens(async (t) => {
    const options = { heartbeatMs: 0, reconnect: { initialDelayMs: 10, maxDelayMs: 20 } };
    const doomed = await connect(t.url(), { token: t.doomed, ...options });
    const kept = await connect(t.url(), { token: t.kept, ...options });
    try {
      const states = statesOf(doomed);
      const keptStates = statesOf(kept);
      const doomedPort = await doomed.openPort(resourceStates);
      const keptPort = await kept.openPort(resourceStates);
      assert.equal(t.service.sessionCount, 2);

      t.revoke();
      await until(() => doomed.state === 'closed', 3000, 'the revoked client to close');
      assert.deepEqual(states, [['closed', 'AUTH_FAILED']], 'closed at once, with the reason');
      assert.equal((await doomedPort.next({ timeoutMs: 1000 })).type, 'closed');
      await assert.rejects(doomed.call('getServerInfo', {}), (e: unknown) => {
        assert.ok(e instanceof ClusnotifyError);
        assert.equal(e.code, 'SESSION_CLOSED');
        assert.equal((e.cause as ClusnotifyError | undefined)?.code, 'AUTH_FAILED');
        assert.match(e.message, /revoked/);
        return true;
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(t.service.sessionCount, 1, 'the revoked client did not come back');

      await run(t.service, { type: 'resource.offline', resource: 'SQL Server' });
      const [i] = await take(keptPort, 1);
      assert.equal(i?.name, 'SQL Server', 'the other client still gets its indications');
      assert.deepEqual(keptStates, [], 'and never noticed');
      assert.equal(kept.state, 'open');
    } finally {
      await doomed.close();
      await kept.close();
    }
  });
});

test('a client whose token is refused when it reconnects closes with AUTH_FAILED instead of retrying', async () => {
  await withFileTokens(async (t) => {
    const client = await connect(t.url(), {
      token: t.doomed,
      heartbeatMs: 0,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    });
    try {
      const states = statesOf(client);
      const port = await client.openPort(resourceStates);
      // The server goes away; while it is down the token is revoked; it comes back.
      await t.restartServer(() => {
        t.revoke();
      });
      await until(() => client.state === 'closed', 3000, 'the client to close');
      assert.deepEqual(states.at(0), ['reconnecting', 'CONNECTION_LOST']);
      assert.deepEqual(states.at(-1), ['closed', 'AUTH_FAILED']);
      assert.equal((await port.next({ timeoutMs: 1000 })).type, 'closed');
      const count = states.length;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(states.length, count, 'no more attempts');
      assert.equal(t.service.sessionCount, 0);
    } finally {
      await client.close();
    }
  });
});
