/**
 * A server that breaks the protocol (decisions D39): the client reports MALFORMED_FRAME, keeps
 * every indication it had accepted, throws nothing it does not catch, and treats the connection
 * as lost — it reconnects and resumes the port from its last revision (§7.3).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '@clusnotify/client';
import type { Client, ClientState } from '@clusnotify/client';
import {
  ClusterChange,
  ClusterChangeClusterV2,
  ClusterChangeResourceV2,
  ClusterObjectType,
} from '@clusnotify/protocol';
import { encodeBinaryNotifyFrame, encodeBinaryNotifyGroup } from '@clusnotify/protocol';
import type { BinaryNotifyEntry, ClusnotifyError, Indication } from '@clusnotify/protocol';
import { startFakeServer, welcomeFrame } from './fake-server.js';
import type { FakeServer, Round } from './fake-server.js';
import { quiet, take } from './helpers.js';

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => {
  unhandled.push(e);
};
process.on('unhandledRejection', onUnhandled);
after(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** A well-formed version-2 entry of revision `revision`, for the port's first filter (wire key 1). */
function v2(revision: number): Record<string, unknown> {
  return {
    notifyKey: 1,
    filterAndType: {
      objectType: ClusterObjectType.RESOURCE,
      filterFlags: ClusterChangeResourceV2.STATE,
    },
    objectId: `r-${revision}`,
    parentId: 'g-1',
    name: `Resource ${revision}`,
    type: 'Generic Service',
    buffer: 'AgAAAA==',
    revision,
  };
}

/** A well-formed getNotifyAsync entry of revision `revision`. */
function v1(revision: number): Record<string, unknown> {
  return {
    notifyKey: 1,
    filter: ClusterChange.RESOURCE_STATE,
    name: `Resource ${revision}`,
    revision,
  };
}

/** `entry` with `field` set to `value` (undefined: without it, once the frame is JSON). */
function withField(
  entry: Record<string, unknown>,
  field: string,
  value?: unknown,
): Record<string, unknown> {
  return { ...entry, [field]: value };
}

const notify = (h: string, n: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ t: 'notify', h, n, drained: true, ...extra });

/** A binary notify frame (D53) of port `h` with `v2(revision)`, its bytes then changed by `spoil`. */
function binary(
  h: string,
  revision: number,
  spoil: (b: Uint8Array, v: DataView) => Uint8Array,
): Uint8Array {
  const e = v2(revision) as unknown as BinaryNotifyEntry & { buffer: string };
  const bytes = encodeBinaryNotifyFrame(h, [{ ...e, buffer: new Uint8Array([2, 0, 0, 0]) }], true);
  return spoil(bytes, new DataView(bytes.buffer));
}
/**
 * A grouped frame (D55) of two batches of port `h`, both of `v2(revision)`: the second refers to
 * the first's event, by an index then changed to `index`.
 */
function grouped(h: string, revision: number, index: number): Uint8Array {
  const e = v2(revision) as unknown as BinaryNotifyEntry & { buffer: string };
  const entry = { ...e, buffer: new Uint8Array([2, 0, 0, 0]) };
  const bytes = encodeBinaryNotifyGroup([
    { h, entries: [entry], drained: false },
    { h, entries: [entry], drained: true },
  ]);
  // The frame ends with the second batch's one entry: its notify key, flags 0, the index.
  new DataView(bytes.buffer).setUint32(bytes.length - 4, index, true);
  return bytes;
}
/** Where entry 0's fields start in `binary`'s frame: after the header, the handle and the count. */
const entryAt = (h: string): number => 4 + h.length + 4;

/** Malformed things a server could send after a well-formed batch, and what the report names. */
const streamKinds: readonly {
  readonly what: string;
  readonly then: Round['then'];
  readonly names: RegExp;
}[] = [
  { what: 'n not an array', then: (h) => notify(h, { 0: v2(99) }), names: /\bn\b/ },
  {
    what: 'an entry without notifyKey',
    then: (h) => notify(h, [withField(v2(99), 'notifyKey')]),
    names: /n\[0\]\.notifyKey/,
  },
  {
    what: 'buffer not a string',
    then: (h) => notify(h, [v2(98), withField(v2(99), 'buffer', 7)]),
    names: /n\[1\]\.buffer/,
  },
  {
    what: 'buffer not base64',
    then: (h) => notify(h, [v2(98), withField(v2(99), 'buffer', 'AgA*AA==')]),
    names: /n\[1\]\.buffer is the string "AgA\*AA==", expected a string of padded base64/,
  },
  {
    what: 'buffer base64 without its padding',
    then: (h) => notify(h, [withField(v2(99), 'buffer', 'AgAAAA')]),
    names: /n\[0\]\.buffer/,
  },
  {
    what: 'revision not an integer',
    then: (h) => notify(h, [withField(v2(99), 'revision', 1.5)]),
    names: /n\[0\]\.revision/,
  },
  {
    what: 'filterAndType missing',
    then: (h) => notify(h, [withField(v2(99), 'filterAndType')]),
    names: /n\[0\]\.filterAndType/,
  },
  {
    what: 'filterFlags not a number',
    then: (h) =>
      notify(h, [withField(v2(99), 'filterAndType', { objectType: 3, filterFlags: '4' })]),
    names: /filterFlags/,
  },
  {
    what: 'lost null',
    then: (h) => notify(h, [withField(v2(99), 'lost', null)]),
    names: /n\[0\]\.lost/,
  },
  { what: 'an entry that is not an object', then: (h) => notify(h, [null]), names: /n\[0\]/ },
  {
    what: 'drained missing',
    then: (h) => JSON.stringify({ t: 'notify', h, n: [v2(99)] }),
    names: /\bdrained\b/,
  },
  {
    what: 'end not a result',
    then: (h) => notify(h, [], { end: 'interrupted' }),
    names: /\bend\b/,
  },
  { what: 'h not a string', then: () => notify('', [v2(99)], { h: 12 }), names: /\bh\b/ },
  { what: 'text that is not JSON', then: '{"t":"notify",', names: /JSON/ },
  { what: 'an unknown frame type', then: JSON.stringify({ t: 'nudge' }), names: /\bt\b/ },
  { what: 'a binary frame', then: new Uint8Array([1, 2, 3]), names: /binary/ },
  {
    what: 'a binary frame cut short',
    then: (h) => binary(h, 99, (b) => b.subarray(0, b.length - 1)),
    names: /binary notify frame: n\[0\]\.revision runs past the end/,
  },
  {
    what: 'a binary frame with a byte after its last entry',
    then: (h) => binary(h, 99, (b) => Uint8Array.from([...b, 0])),
    names: /1 bytes after the last entry/,
  },
  {
    what: 'a binary frame whose name is not UTF-8',
    // objectId "r-99" (4 + 4 bytes), parentId "g-1" (4 + 3), then the name's length and bytes
    then: (h) =>
      binary(h, 99, (b) => {
        b[entryAt(h) + 5 + 4 + 8 + 8 + 7 + 4] = 0xc3;
        return b;
      }),
    names: /n\[0\]\.name is not well-formed UTF-8/,
  },
  {
    what: 'a binary frame with a negative revision',
    then: (h) =>
      binary(h, 99, (b, v) => {
        v.setFloat64(b.length - 8, -1, true);
        return b;
      }),
    names: /n\[0\]\.revision is -1/,
  },
  {
    // Checked whole: the first batch, well-formed, is not taken either.
    what: 'a grouped frame whose second batch refers to an event it does not hold',
    then: (h) => grouped(h, 99, 5),
    names:
      /binary notify frame: batches\[1\]\.n\[0\]\.event is 5, the frame has 1 events before it/,
  },
  {
    what: 'a result with a string id',
    then: JSON.stringify({ t: 'result', id: 'x', r: { type: 'ok', status: 0 } }),
    names: /\bid\b/,
  },
  { what: 'a result without r', then: JSON.stringify({ t: 'result', id: 1 }), names: /\br\b/ },
  {
    what: 'an error frame without code',
    then: JSON.stringify({ t: 'error', status: 5, message: 'x' }),
    names: /\bcode\b/,
  },
  {
    what: 'a welcome without limits',
    then: JSON.stringify({ ...welcomeFrame(), limits: undefined }),
    names: /\blimits\b/,
  },
  { what: 'a second welcome', then: JSON.stringify(welcomeFrame()), names: /second welcome/ },
];

/** Records why the client went `reconnecting`, each time. */
function reasonsOf(client: Client): ClusnotifyError[] {
  const reasons: ClusnotifyError[] = [];
  client.onStateChange((state: ClientState, reason?: ClusnotifyError) => {
    if (state === 'reconnecting') {
      assert.ok(reason !== undefined, 'reconnecting has a reason');
      reasons.push(reason);
    }
  });
  return reasons;
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
}

/** Opens a streamed or polled port of `version` with one filter, notify key 42. */
function openPort(client: Client, version: 1 | 2) {
  return client.openPort(
    version === 2
      ? {
          version: 2,
          filters: [
            {
              kind: 'v2',
              objectType: ClusterObjectType.RESOURCE,
              filterFlags: ClusterChangeResourceV2.STATE,
              notifyKey: 42,
            },
          ],
        }
      : {
          version: 1,
          filters: [{ kind: 'cluster', filter: ClusterChange.RESOURCE_STATE, notifyKey: 42 }],
        },
  );
}

/**
 * Runs one round per kind: a well-formed batch of two indications, then the kind's malformed
 * frame; then a last connection with one more indication. Checks everything D39 promises.
 */
async function playRounds(
  server: FakeServer,
  client: Client,
  version: 1 | 2,
  kinds: readonly { readonly what: string; readonly names: RegExp }[],
): Promise<void> {
  const reasons = reasonsOf(client);
  const port = await openPort(client, version);
  const total = kinds.length * 2 + 1;
  const got: Indication[] = await take(port, total, 5000);
  assert.deepEqual(
    got.map((i) => i.revision),
    Array.from({ length: total }, (_, i) => i + 1),
    'every well-formed indication arrived once, in order',
  );
  assert.ok(got.every((i) => i.notifyKey === 42 && i.version === version));
  if (version === 2)
    for (const i of got)
      assert.deepEqual(i.version === 2 && i.buffer, new Uint8Array([2, 0, 0, 0]), 'payload');
  await quiet(port, 50);

  assert.equal(reasons.length, kinds.length, 'one reconnect per malformed frame');
  kinds.forEach((k, i) => {
    const reason = reasons[i] as ClusnotifyError;
    assert.equal(reason.code, 'MALFORMED_FRAME', `${k.what}: ${reason.message}`);
    assert.match(reason.message, k.names, `${k.what}: ${reason.message}`);
  });
  assert.equal(server.connections(), kinds.length + 1);
  // Each new session resumed the port right after the last indication it had accepted.
  const resumes = server.calls.filter((c) => c.m === 'resumeNotify');
  assert.deepEqual(
    resumes.map((c) => [c.connection, c.p.afterRevision]),
    kinds.map((_, i) => [i + 2, i * 2 + 2]),
  );
  assert.equal(client.state, 'open');
  await settle();
  assert.deepEqual(unhandled, [], 'nothing rejected unhandled');
}

function roundsFor(
  entry: (revision: number) => Record<string, unknown>,
  thens: readonly Round['then'][],
): { rounds: Round[]; last: Round } {
  return {
    rounds: thens.map((then, i) => ({ good: [entry(i * 2 + 1), entry(i * 2 + 2)], then })),
    last: { good: [entry(thens.length * 2 + 1)] },
  };
}

async function withClient(
  server: FakeServer,
  delivery: 'stream' | 'poll',
  fn: (client: Client) => Promise<void>,
): Promise<void> {
  try {
    const client = await connect(server.url, {
      token: 't',
      delivery,
      heartbeatMs: 0,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    });
    try {
      await fn(client);
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
}

test('a malformed frame on a streamed v2 port: MALFORMED_FRAME, nothing accepted is lost, the port resumes', async () => {
  const server = await startFakeServer(
    roundsFor(
      v2,
      streamKinds.map((k) => k.then),
    ),
  );
  await withClient(server, 'stream', (client) => playRounds(server, client, 2, streamKinds));
});

test('malformed indications on a streamed v1 port are reported and the port resumes', async () => {
  const kinds = [
    {
      what: 'filter a string',
      then: (h: string) => notify(h, [withField(v1(99), 'filter', '1')]),
      names: /n\[0\]\.filter/,
    },
    {
      what: 'name missing',
      then: (h: string) => notify(h, [v1(98), withField(v1(99), 'name')]),
      names: /n\[1\]\.name/,
    },
    {
      what: 'revision negative',
      then: (h: string) => notify(h, [withField(v1(99), 'revision', -1)]),
      names: /n\[0\]\.revision/,
    },
    {
      what: 'lost incomplete',
      then: (h: string) => notify(h, [withField(v1(99), 'lost', { count: 1 })]),
      names: /n\[0\]\.lost/,
    },
    {
      what: 'a well-formed binary frame, which carries version-2 batches only',
      then: (h: string) => binary(h, 99, (b) => b),
      names: /binary notify frame for the version-1 port/,
    },
  ];
  const server = await startFakeServer(
    roundsFor(
      v1,
      kinds.map((k) => k.then),
    ),
  );
  await withClient(server, 'stream', (client) => playRounds(server, client, 1, kinds));
});

test('a malformed get result on a polled port is reported and the port resumes', async () => {
  const kinds = [
    { what: 'notifications not an array', secondGet: 'many', names: /notifications/ },
    {
      what: 'an entry without notifyKey',
      secondGet: [withField(v2(99), 'notifyKey')],
      names: /notifications\[0\]\.notifyKey/,
    },
    {
      what: 'buffer not a string',
      secondGet: [withField(v2(99), 'buffer', [1])],
      names: /notifications\[0\]\.buffer/,
    },
    {
      what: 'buffer not base64',
      secondGet: [v2(98), withField(v2(99), 'buffer', 'AgAAAA==AA')],
      names: /notifications\[1\]\.buffer .*expected a string of padded base64/,
    },
  ];
  const { rounds, last } = roundsFor(
    v2,
    kinds.map(() => undefined),
  );
  const server = await startFakeServer({
    rounds: rounds.map((r, i) => ({ ...r, secondGet: kinds[i]?.secondGet })),
    last,
  });
  await withClient(server, 'poll', (client) => playRounds(server, client, 2, kinds));
});

test('a call in flight when a malformed frame arrives fails with CONNECTION_LOST caused by MALFORMED_FRAME', async () => {
  const server = await startFakeServer({
    rounds: [{ good: [], reply: (id) => JSON.stringify({ t: 'result', id, r: 'ok' }) }],
    last: { good: [] },
  });
  await withClient(server, 'stream', async (client) => {
    const reasons = reasonsOf(client);
    await assert.rejects(client.call('getClusterState', {}), (e: ClusnotifyError) => {
      assert.equal(e.code, 'CONNECTION_LOST');
      assert.match(e.message, /malformed/);
      assert.equal((e.cause as ClusnotifyError).code, 'MALFORMED_FRAME');
      return true;
    });
    const deadline = Date.now() + 3000;
    while (server.connections() < 2 && Date.now() < deadline) await settle();
    assert.equal(server.connections(), 2, 'the client reconnected');
    assert.equal(reasons[0]?.code, 'MALFORMED_FRAME');
    await settle();
    assert.deepEqual(unhandled, []);
  });
});

test('a malformed welcome fails that connection attempt: connect reports it, a reconnect tries again', async () => {
  const bad = JSON.stringify({ ...welcomeFrame(), access: 'admin' });
  const refused = await startFakeServer({ rounds: [], last: { good: [] }, welcome: () => bad });
  try {
    await assert.rejects(connect(refused.url, { token: 't' }), (e: ClusnotifyError) => {
      assert.equal(e.code, 'NO_SERVER');
      assert.match(e.message, /malformed frame.*\baccess\b/);
      return true;
    });
  } finally {
    await refused.close();
  }

  // Connection 1 breaks the protocol after one indication; connection 2's welcome is
  // malformed; connection 3 is fine and the port resumes there.
  const server = await startFakeServer({
    rounds: [{ good: [v2(1)], then: '?' }, { good: [] }],
    last: { good: [v2(2)] },
    welcome: (k) => (k === 2 ? bad : JSON.stringify(welcomeFrame())),
  });
  await withClient(server, 'stream', async (client) => {
    const port = await openPort(client, 2);
    // The only candidate failed its first reconnect attempt, so the port also gets the
    // client's CLUSTER_STATE_V2 (§7.3 step 1) before the session comes back.
    const got = await take(port, 3, 5000);
    assert.deepEqual(
      got.map((i) =>
        i.version === 2
          ? [i.filterAndType.objectType, i.filterAndType.filterFlags, i.revision]
          : [],
      ),
      [
        [ClusterObjectType.RESOURCE, ClusterChangeResourceV2.STATE, 1],
        [ClusterObjectType.CLUSTER, ClusterChangeClusterV2.STATE, 1],
        [ClusterObjectType.RESOURCE, ClusterChangeResourceV2.STATE, 2],
      ],
    );
    assert.equal(server.connections(), 3);
    await settle();
    assert.deepEqual(unhandled, []);
  });
});

test('a server that sends more than the stream window allows breaks the protocol: MALFORMED_FRAME, and the port resumes exactly', async () => {
  const revisions = (from: number, to: number): Record<string, unknown>[] =>
    Array.from({ length: to - from + 1 }, (_, i) => v2(from + i));
  // Window 5: the client acknowledges once 3 (≥ half) are unacknowledged.
  const server = await startFakeServer({
    rounds: [
      // 2, then 3: the window exactly (accepted, and acknowledged); then 6 in one frame.
      {
        good: revisions(1, 2),
        then: [(h) => notify(h, revisions(3, 5)), (h) => notify(h, revisions(6, 11))],
      },
      // 2 (not yet acknowledged), then 4 more: 6 unacknowledged, over the window.
      { good: revisions(6, 7), then: (h) => notify(h, revisions(8, 11)) },
    ],
    last: { good: revisions(8, 8) },
  });
  try {
    const client = await connect(server.url, {
      token: 't',
      streamWindow: 5,
      heartbeatMs: 0,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    });
    try {
      const reasons = reasonsOf(client);
      const port = await openPort(client, 2);
      const got = await take(port, 8, 5000);
      assert.deepEqual(
        got.map((i) => i.revision),
        [1, 2, 3, 4, 5, 6, 7, 8],
        'every indication within the window arrived once, in order; none of an overrun frame',
      );
      await quiet(port, 50);
      assert.deepEqual(
        reasons.map((r) => r.code),
        ['MALFORMED_FRAME', 'MALFORMED_FRAME'],
      );
      assert.match(
        reasons[0]?.message ?? '',
        /notify frame of port port-1: n holds 6 indications, over the 5 the stream window of 5 leaves/,
      );
      assert.match(
        reasons[1]?.message ?? '',
        /notify frame of port port-2: n holds 4 indications, over the 3 the stream window of 5 leaves \(2 unacknowledged\)/,
      );
      assert.deepEqual(
        server.calls.filter((c) => c.m === 'streamNotify').map((c) => c.p.window),
        [5, 5, 5],
      );
      assert.deepEqual(
        server.calls
          .filter((c) => c.m === 'resumeNotify')
          .map((c) => [c.connection, c.p.afterRevision]),
        [
          [2, 5],
          [3, 7],
        ],
      );
      assert.equal(client.state, 'open');
      await settle();
      assert.deepEqual(unhandled, []);
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
});
