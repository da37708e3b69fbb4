/**
 * Frames from the server as the client checks them (docs/protocol.md "Frames", §5, decisions
 * D39): every well-formed frame passes unchanged; a frame or indication with a field missing or
 * of the wrong type is reported malformed, with a message that names the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  checkNotificationsV1,
  checkNotificationsV2,
  fromWireNotification,
  parseServerFrame,
  toWireNotification,
} from '@clusnotify/protocol';
import type { IndicationV2, WireNotificationV2 } from '@clusnotify/protocol';

// ----- well-formed material ---------------------------------------------------------------------

const lost = fc
  .record({ count: fc.nat(), firstRevision: fc.nat(), lastRevision: fc.nat() })
  .map((l) => ({ ...l }));

const indicationV2: fc.Arbitrary<IndicationV2> = fc
  .record({
    version: fc.constant(2 as const),
    notifyKey: fc.nat({ max: 0xffffffff }),
    filterAndType: fc.record({ objectType: fc.nat({ max: 12 }), filterFlags: fc.integer() }),
    objectId: fc.string({ maxLength: 8 }),
    parentId: fc.string({ maxLength: 8 }),
    name: fc.string({ maxLength: 12 }),
    type: fc.string({ maxLength: 8 }),
    buffer: fc.uint8Array({ maxLength: 16 }),
    revision: fc.nat(),
    lost: fc.option(lost, { nil: undefined, freq: 8 }),
  })
  .map((i) => ({ ...i, filterAndType: { ...i.filterAndType } }));

/** A version-2 entry exactly as it arrives: JSON of the server's wire form. */
const entryV2 = indicationV2.map(
  (i) => JSON.parse(JSON.stringify(toWireNotification(i))) as Record<string, unknown>,
);

/** A getNotifyAsync entry (and, with stateSequence, a getNotify result). */
const entryV1 = fc
  .record(
    {
      notifyKey: fc.nat({ max: 0xffffffff }),
      filter: fc.integer({ min: -0x80000000, max: 0xffffffff }),
      name: fc.string({ maxLength: 12 }),
      revision: fc.nat(),
      lost,
      stateSequence: fc.nat({ max: 0xffffffff }),
      type: fc.constant('ok'),
    },
    { requiredKeys: ['notifyKey', 'filter', 'name', 'revision'] },
  )
  .map((e) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>);

const welcome = {
  t: 'welcome',
  v: 1,
  session: 's-1',
  access: 'full',
  server: 'NODE1',
  cluster: { id: 'c-1', name: 'CLUSTER1' },
  revision: 12,
  limits: {
    maxFrameBytes: 1 << 20,
    maxPortsPerSession: 256,
    maxFiltersPerPort: 4096,
    maxBatch: 4096,
  },
  features: ['stream'],
};

/** One well-formed frame of every kind the server sends. */
const wellFormed: readonly Record<string, unknown>[] = [
  welcome,
  { ...welcome, features: undefined, access: 'read' },
  { ...welcome, features: ['stream', 'something-newer'] },
  { t: 'result', id: 7, r: { type: 'ok', status: 0, handle: 'h-1' } },
  { t: 'result', id: 0, r: { type: 'error', status: 6, code: 'PORT_NOT_FOUND', message: 'x' } },
  { t: 'error', code: 'AUTH_FAILED', status: 5, message: 'refused' },
  { t: 'error', id: 3, code: 'CALL_LIMIT', status: 0x57, message: 'too many' },
  { t: 'notify', h: 'p-1', n: [], drained: true },
  { t: 'notify', h: 'p-1', n: [{ any: 'entry' }], drained: false },
  { t: 'notify', h: 'p-1', n: [], drained: true, end: { type: 'interrupted', status: 1 } },
];

test('parseServerFrame passes every well-formed server frame through unchanged', () => {
  for (const f of wellFormed) {
    const text = JSON.stringify(f);
    assert.deepEqual(parseServerFrame(text), JSON.parse(text), text);
  }
});

// ----- malformed frames -------------------------------------------------------------------------

/** Values of every JSON kind, to put where another kind belongs. */
const anyJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 4 }),
  fc.constant([]),
  fc.constant({}),
);

/**
 * The naive model of a frame field: which values are right there (`undefined`: absent).
 * Extra fields are allowed everywhere (a newer server may send more).
 */
const frameFields: Record<string, Record<string, (v: unknown) => boolean>> = {
  welcome: {
    v: Number.isInteger,
    session: isString,
    access: (v) => v === 'read' || v === 'full',
    server: isString,
    cluster: (v) => isObject(v) && isString(v.id) && isString(v.name),
    revision: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
    limits: (v) =>
      isObject(v) &&
      ['maxFrameBytes', 'maxPortsPerSession', 'maxFiltersPerPort', 'maxBatch'].every(
        (k) => Number.isSafeInteger(v[k]) && (v[k] as number) >= 1,
      ),
    features: (v) => v === undefined || (Array.isArray(v) && v.every(isString)),
  },
  result: {
    id: (v) => Number.isSafeInteger(v) && (v as number) >= 0,
    r: (v) => isObject(v) && isString(v.type) && typeof v.status === 'number',
  },
  error: {
    id: (v) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0),
    code: isString,
    status: (v) => typeof v === 'number',
    message: isString,
  },
  notify: {
    h: isString,
    n: Array.isArray,
    drained: (v) => typeof v === 'boolean',
    end: (v) =>
      v === undefined || (isObject(v) && isString(v.type) && typeof v.status === 'number'),
  },
};

test('parseServerFrame reports a frame malformed exactly when a field breaks the model, naming it', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...wellFormed),
      fc.nat(),
      fc.option(anyJson, { nil: undefined }),
      (frame, pick, value) => {
        const model = frameFields[frame.t as string] as Record<string, (v: unknown) => boolean>;
        const names = Object.keys(model);
        const field = names[pick % names.length] as string;
        const mutated = { ...frame, [field]: value };
        const text = JSON.stringify(mutated);
        const parsed = parseServerFrame(text);
        const wire = JSON.parse(text) as Record<string, unknown>;
        if ((model[field] as (v: unknown) => boolean)(wire[field])) {
          assert.deepEqual(parsed, wire);
        } else {
          assert.ok('malformed' in parsed, `accepted ${text}`);
          assert.match(parsed.malformed, new RegExp(`\\b${field}\\b`), parsed.malformed);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('parseServerFrame reports text that is not a frame object as malformed', () => {
  for (const text of [
    '',
    'not json',
    '{"t":',
    'null',
    '42',
    '"welcome"',
    '[]',
    '[{"t":"notify"}]',
  ]) {
    const r = parseServerFrame(text);
    assert.ok('malformed' in r, text);
  }
  for (const f of [{}, { t: 'hello' }, { t: 'call' }, { t: 7 }, { t: 'notify-v2' }]) {
    const r = parseServerFrame(JSON.stringify(f));
    assert.ok('malformed' in r, JSON.stringify(f));
    assert.match(r.malformed, /\bt\b/);
  }
});

// ----- malformed indications --------------------------------------------------------------------

const u32 = (v: unknown): boolean =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const revision = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const lostModel = (v: unknown): boolean =>
  v === undefined ||
  (isObject(v) && revision(v.count) && revision(v.firstRevision) && revision(v.lastRevision));

/** The naive model of a version-2 entry (docs/protocol.md §3, `Notification`). */
const v2Fields: Record<string, (v: unknown) => boolean> = {
  notifyKey: u32,
  filterAndType: (v) => isObject(v) && u32(v.objectType) && Number.isInteger(v.filterFlags),
  objectId: isString,
  parentId: isString,
  name: isString,
  type: isString,
  buffer: isBase64,
  revision,
  lost: lostModel,
};

/** The naive model of a version-1 entry (getNotifyAsync; getNotify adds stateSequence). */
const v1Fields: Record<string, (v: unknown) => boolean> = {
  notifyKey: u32,
  filter: (v) => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0xffffffff,
  name: isString,
  revision,
  lost: lostModel,
  stateSequence: (v) => v === undefined || u32(v),
};

/** Wrong values worth trying for some fields, besides values of the wrong JSON kind. */
const nearMisses = fc.constantFrom<unknown>(
  -1,
  1.5,
  0x100000000,
  2 ** 53,
  '1',
  { objectType: 1 },
  { objectType: -1, filterFlags: 1 },
  { objectType: 1, filterFlags: 0.5 },
  { count: 1, firstRevision: 1 },
  { count: 1, firstRevision: 1, lastRevision: -2 },
  // Strings that are almost base64 (for buffer) and some that are.
  'AQI',
  'AQID=',
  'AQ=I',
  '====',
  'A===',
  'AQ-_',
  'AQ==AQ==',
  'AQ==',
  'AQI=',
  'AR==',
  '',
);

function checkModel(
  check: (list: readonly unknown[]) => string | undefined,
  entry: fc.Arbitrary<Record<string, unknown>>,
  model: Record<string, (v: unknown) => boolean>,
): void {
  fc.assert(
    fc.property(
      fc.array(entry, { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.nat(),
      fc.oneof(fc.option(anyJson, { nil: undefined }), nearMisses),
      (list, at, pick, value) => {
        assert.equal(check(list), undefined, 'a well-formed batch passes');
        const i = at % list.length;
        const names = Object.keys(model);
        const field = names[pick % names.length] as string;
        const mutated = JSON.parse(
          JSON.stringify(list.map((e, j) => (j === i ? { ...e, [field]: value } : e))),
        ) as Record<string, unknown>[];
        const message = check(mutated);
        if ((model[field] as (v: unknown) => boolean)(mutated[i]?.[field])) {
          assert.equal(message, undefined, JSON.stringify(mutated[i]));
        } else {
          assert.ok(message !== undefined, `accepted ${JSON.stringify(mutated[i])}`);
          assert.ok(message.includes(`n[${i}].${field}`), message);
        }
      },
    ),
    { numRuns: 3000 },
  );
}

test('checkNotificationsV2 rejects a batch exactly when an entry breaks the model, naming entry and field', () => {
  checkModel(checkNotificationsV2, entryV2, v2Fields);
});

test('checkNotificationsV2 hands out every payload it decoded, and fromWireNotification takes it as it is', () => {
  fc.assert(
    fc.property(fc.array(indicationV2, { maxLength: 8 }), (indications) => {
      const list = indications.map(
        (i) => JSON.parse(JSON.stringify(toWireNotification(i))) as WireNotificationV2,
      );
      const buffers: Uint8Array[] = [];
      assert.equal(checkNotificationsV2(list, 'n', buffers), undefined);
      assert.equal(buffers.length, list.length);
      list.forEach((w, i) => {
        const bytes = buffers[i] as Uint8Array;
        assert.deepEqual(bytes, (indications[i] as IndicationV2).buffer);
        const back = fromWireNotification(w, 5, bytes);
        assert.equal(back.buffer, bytes, 'the decoded payload itself, not a second decode');
        assert.deepEqual(back, { ...fromWireNotification(w), notifyKey: 5 });
      });
    }),
    { numRuns: 500 },
  );
});

test('checkNotificationsV2 refuses a buffer that is not padded base64, naming entry and field', () => {
  const good = JSON.parse(
    JSON.stringify(
      toWireNotification({
        version: 2,
        notifyKey: 1,
        filterAndType: { objectType: 3, filterFlags: 8 },
        objectId: 'r-1',
        parentId: 'g-1',
        name: 'Disk',
        type: 'Physical Disk',
        buffer: new Uint8Array([2, 0, 0, 0]),
        revision: 4,
        lost: undefined,
      }),
    ),
  ) as Record<string, unknown>;
  for (const buffer of ['AgAAAA', 'AgAAAA=', 'AgA*AA==', 'Ag==AA==', '=AgAAAA', 'AgAAAA==\n']) {
    const message = checkNotificationsV2([good, { ...good, buffer }], 'notifications') ?? '';
    assert.match(
      message,
      /^notifications\[1\]\.buffer is the string .*, expected a string of padded base64$/,
    );
  }
  const buffers: Uint8Array[] = [];
  assert.equal(checkNotificationsV2([good, { ...good, buffer: '' }], 'n', buffers), undefined);
  assert.deepEqual(buffers, [new Uint8Array([2, 0, 0, 0]), new Uint8Array(0)]);
});

test('checkNotificationsV1 rejects a batch exactly when an entry breaks the model, naming entry and field', () => {
  checkModel(checkNotificationsV1, entryV1, v1Fields);
});

test('the indication checks reject entries that are not objects', () => {
  for (const bad of [null, 1, 'x', [], true]) {
    assert.match(checkNotificationsV2([bad]) ?? '', /n\[0\]/);
    assert.match(checkNotificationsV1([bad]) ?? '', /n\[0\]/);
  }
  assert.equal(checkNotificationsV2([]), undefined);
  assert.equal(checkNotificationsV1([]), undefined);
});

/** Padded base64, character by character (RFC 4648 §4); bits left over by padding may be set. */
function isBase64(v: unknown): boolean {
  return (
    typeof v === 'string' &&
    /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)
  );
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
