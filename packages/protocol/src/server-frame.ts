/**
 * Checking what the server sends, on the client side (docs/protocol.md "Frames", §5; decisions
 * D39): the frame envelopes and the indications in `notify` frames and get results. A frame that
 * fails is a protocol violation by the server; the client treats the connection as broken.
 *
 * Hand-written checks (typeof, Number.isInteger) rather than a schema library: `notify` frames
 * carry hundreds of thousands of indications per second, and these checks cost a few percent of
 * parsing them. Every check allows extra fields, so that a newer server may send more.
 */
import { decodeWireBuffer } from './base64.js';
import { isRecord } from './wire.js';
import type { ServerFrame } from './wire.js';

/** A frame the client must not use: what is wrong with it, naming the field. */
export interface MalformedServerFrame {
  readonly malformed: string;
}

/**
 * Parses a frame from the server and checks its envelope: `t` and the fields of that frame type
 * (docs/protocol.md §1, §2, §5). The entries of a `notify` frame's `n` and a get result's
 * `notifications` are checked by {@link checkNotificationsV1} / {@link checkNotificationsV2},
 * which need the port's version. Never throws.
 *
 * @returns the frame, or `{ malformed }` for text that is not JSON, not an object, of an unknown
 * type, or with a field missing or of the wrong type.
 */
export function parseServerFrame(data: string): ServerFrame | MalformedServerFrame {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return { malformed: 'the frame is not JSON' };
  }
  if (!isRecord(v)) return { malformed: `the frame is ${describe(v)}, expected a JSON object` };
  let bad: string | undefined;
  switch (v.t) {
    case 'notify':
      bad = badNotify(v);
      break;
    case 'result':
      bad = badResult(v);
      break;
    case 'welcome':
      bad = badWelcome(v);
      break;
    case 'error':
      bad = badError(v);
      break;
    default:
      return {
        malformed: `t is ${describe(v.t)}, expected "welcome", "result", "notify" or "error"`,
      };
  }
  return bad === undefined ? (v as unknown as ServerFrame) : { malformed: `${v.t} frame: ${bad}` };
}

/**
 * Checks the entries of a version-2 port's batch (a `notify` frame's `n`, a getNotifyV2
 * result's `notifications`): each must be a `Notification` of docs/protocol.md §3 —
 * `notifyKey` and `filterAndType.objectType` 32-bit unsigned integers, `filterFlags` an
 * integer, `objectId`, `parentId`, `name` and `type` strings, `buffer` a string of padded
 * base64 (RFC 4648 §4, as `fromBase64` reads it; '' for no payload), `revision` a non-negative
 * integer, `lost` absent or `{ count, firstRevision, lastRevision }` of non-negative integers.
 *
 * Checking `buffer` means decoding it; pass `buffers` to keep what was decoded, and hand
 * `buffers[i]` to `fromWireNotification` for entry `i`, so that no payload is decoded twice.
 *
 * @param name what the list is called in the message (default `n`, as in a `notify` frame).
 * @param buffers when given, each entry's decoded `buffer` is pushed onto it, in order. If the
 * batch is malformed it holds the buffers of the entries before the bad one; discard it then.
 * @returns undefined when every entry is well-formed; else what is wrong with the first bad
 * one, as `n[index].field …`.
 */
export function checkNotificationsV2(
  list: readonly unknown[],
  name = 'n',
  buffers?: Uint8Array[],
): string | undefined {
  for (let i = 0; i < list.length; i++) {
    const w = list[i];
    if (typeof w !== 'object' || w === null)
      return `${name}[${i}] is ${describe(w)}, expected an object`;
    const bad = badNotificationV2(w as Record<string, unknown>, buffers);
    if (bad !== undefined) return `${name}[${i}].${bad}`;
  }
  return undefined;
}

/**
 * Checks the entries of a version-1 port's batch (getNotifyAsync entries, and the result of a
 * getNotify): `notifyKey` a 32-bit unsigned integer, `filter` a 32-bit integer (signed or
 * unsigned), `name` a string, `revision` a non-negative integer, `lost` as for version 2,
 * `stateSequence` absent or a 32-bit unsigned integer.
 *
 * @param name what the list is called in the message (default `n`, as in a `notify` frame).
 * @returns undefined when every entry is well-formed; else what is wrong with the first bad
 * one, as `n[index].field …`.
 */
export function checkNotificationsV1(list: readonly unknown[], name = 'n'): string | undefined {
  for (let i = 0; i < list.length; i++) {
    const w = list[i];
    if (typeof w !== 'object' || w === null)
      return `${name}[${i}] is ${describe(w)}, expected an object`;
    const bad = badNotificationV1(w as Record<string, unknown>);
    if (bad !== undefined) return `${name}[${i}].${bad}`;
  }
  return undefined;
}

// ----- entries ----------------------------------------------------------------------------------

const U32 = 'an integer 0 … 4294967295';
const REVISION = 'a non-negative integer';
const STRING = 'a string';
const BASE64 = 'a string of padded base64';

/** What is wrong with a version-2 entry; else undefined, and its decoded buffer pushed on `out`. */
function badNotificationV2(
  w: Record<string, unknown>,
  out: Uint8Array[] | undefined,
): string | undefined {
  if (!isU32(w.notifyKey)) return field('notifyKey', w.notifyKey, U32);
  const ft = w.filterAndType;
  if (typeof ft !== 'object' || ft === null)
    return field('filterAndType', ft, 'an object { objectType, filterFlags }');
  const { objectType, filterFlags } = ft as Record<string, unknown>;
  if (!isU32(objectType)) return field('filterAndType.objectType', objectType, U32);
  if (!Number.isInteger(filterFlags))
    return field('filterAndType.filterFlags', filterFlags, 'an integer');
  if (typeof w.objectId !== 'string') return field('objectId', w.objectId, STRING);
  if (typeof w.parentId !== 'string') return field('parentId', w.parentId, STRING);
  if (typeof w.name !== 'string') return field('name', w.name, STRING);
  if (typeof w.type !== 'string') return field('type', w.type, STRING);
  const buffer = w.buffer;
  if (typeof buffer !== 'string') return field('buffer', buffer, BASE64);
  // Decoded here, once: the check and the conversion share it (see checkNotificationsV2).
  const bytes = decodeWireBuffer(buffer);
  if (bytes === undefined) return field('buffer', buffer, BASE64);
  if (!isRevision(w.revision)) return field('revision', w.revision, REVISION);
  if (w.lost !== undefined) {
    const bad = badLost(w.lost);
    if (bad !== undefined) return bad;
  }
  out?.push(bytes);
  return undefined;
}

function badNotificationV1(w: Record<string, unknown>): string | undefined {
  if (!isU32(w.notifyKey)) return field('notifyKey', w.notifyKey, U32);
  const f = w.filter;
  if (!(Number.isInteger(f) && (f as number) >= -0x80000000 && (f as number) <= 0xffffffff))
    return field('filter', f, 'a 32-bit integer');
  if (typeof w.name !== 'string') return field('name', w.name, STRING);
  if (!isRevision(w.revision)) return field('revision', w.revision, REVISION);
  if (w.stateSequence !== undefined && !isU32(w.stateSequence))
    return field('stateSequence', w.stateSequence, U32);
  return w.lost === undefined ? undefined : badLost(w.lost);
}

function badLost(lost: unknown): string | undefined {
  if (
    isRecord(lost) &&
    isRevision(lost.count) &&
    isRevision(lost.firstRevision) &&
    isRevision(lost.lastRevision)
  )
    return undefined;
  return field('lost', lost, 'absent or { count, firstRevision, lastRevision } (integers ≥ 0)');
}

// ----- envelopes --------------------------------------------------------------------------------

function badNotify(f: Record<string, unknown>): string | undefined {
  if (typeof f.h !== 'string') return field('h', f.h, 'a port handle string');
  if (!Array.isArray(f.n)) return field('n', f.n, 'an array of indications');
  if (typeof f.drained !== 'boolean') return field('drained', f.drained, 'true or false');
  if (f.end !== undefined && badWireResult(f.end) !== undefined)
    return field('end', f.end, 'absent or a result { type, status }');
  return undefined;
}

function badResult(f: Record<string, unknown>): string | undefined {
  if (!isCallId(f.id)) return field('id', f.id, 'a call number (an integer ≥ 0)');
  const bad = badWireResult(f.r);
  return bad === undefined ? undefined : `r${bad}`;
}

function badError(f: Record<string, unknown>): string | undefined {
  if (f.id !== undefined && !isCallId(f.id))
    return field('id', f.id, 'absent or a call number (an integer ≥ 0)');
  if (typeof f.code !== 'string') return field('code', f.code, 'an error code string');
  if (typeof f.status !== 'number') return field('status', f.status, 'a number');
  if (typeof f.message !== 'string') return field('message', f.message, STRING);
  return undefined;
}

function badWelcome(f: Record<string, unknown>): string | undefined {
  if (!Number.isInteger(f.v)) return field('v', f.v, 'an integer');
  if (typeof f.session !== 'string') return field('session', f.session, STRING);
  if (f.access !== 'read' && f.access !== 'full')
    return field('access', f.access, '"read" or "full"');
  if (typeof f.server !== 'string') return field('server', f.server, STRING);
  const c = f.cluster;
  if (!(isRecord(c) && typeof c.id === 'string' && typeof c.name === 'string'))
    return field('cluster', c, 'an object { id, name } of strings');
  if (!isRevision(f.revision)) return field('revision', f.revision, REVISION);
  const l = f.limits;
  if (!(
    isRecord(l) &&
    isPositive(l.maxFrameBytes) &&
    isPositive(l.maxPortsPerSession) &&
    isPositive(l.maxFiltersPerPort) &&
    isPositive(l.maxBatch)
  ))
    return field(
      'limits',
      l,
      'an object { maxFrameBytes, maxPortsPerSession, maxFiltersPerPort, maxBatch } of integers ≥ 1',
    );
  const features = f.features;
  if (features !== undefined && !(Array.isArray(features) && features.every(isString)))
    return field('features', features, 'absent or an array of strings');
  return undefined;
}

/** Why a result (`r`, `end`) is malformed: `.type …` / `.status …`, or ` is …`. */
function badWireResult(r: unknown): string | undefined {
  if (!isRecord(r)) return ` is ${describe(r)}, expected a result { type, status }`;
  if (typeof r.type !== 'string') return `.${field('type', r.type, STRING)}`;
  if (typeof r.status !== 'number') return `.${field('status', r.status, 'a number')}`;
  return undefined;
}

// ----- helpers ----------------------------------------------------------------------------------

function isU32(v: unknown): boolean {
  return typeof v === 'number' && v >>> 0 === v;
}

function isRevision(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isCallId(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isPositive(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 1;
}

function isString(v: unknown): boolean {
  return typeof v === 'string';
}

/** `name is <what it is>, expected <expected>`. */
function field(name: string, v: unknown, expected: string): string {
  return `${name} is ${describe(v)}, expected ${expected}`;
}

/** A short description of a JSON value, for messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string')
    return v.length > 40
      ? `the string ${JSON.stringify(v.slice(0, 40))}…`
      : `the string ${JSON.stringify(v)}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}
