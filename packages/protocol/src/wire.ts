/**
 * The native wire protocol (docs/protocol.md): JSON text frames over WebSocket. Shared by the
 * server and the client: frame types, client-frame parsing with validation, the parameter schema
 * of every method, and the wire form of indications (server frames are checked in
 * `server-frame.ts`). Pure.
 */
import * as z from 'zod';
import { decodeWireBuffer, toBase64 } from './base64.js';
import type { IndicationV2, LostIndications } from './indication.js';

/** Protocol version carried in hello / welcome. */
export const WIRE_VERSION = 1;
/** Path of the WebSocket endpoint. */
export const WIRE_PATH = '/v1';

/** Indications a stream may have in flight unless the client asks otherwise (docs/protocol.md, "Streams"). */
export const DEFAULT_STREAM_WINDOW = 4096;
/** Largest stream window a client may ask for. */
export const MAX_STREAM_WINDOW = 65_536;

/** Optional protocol features a server announces in its welcome (`features`). */
export const WireFeature = {
  /** streamNotify: the server pushes a port's indications in `notify` frames under credit. */
  STREAM: 'stream',
  /**
   * streamNotify with `encoding: 'binary'`: a version-2 port's batches come as binary frames
   * (docs/protocol.md §5, decisions D53).
   */
  BINARY_NOTIFY: 'binary-notify',
  /**
   * Batches: one text message may carry several client frames as a JSON array, handled in
   * order as if each had come alone (docs/protocol.md §2, decisions D54).
   */
  BATCH: 'batch',
  /**
   * streamNotify with `encoding: 'grouped'`: binary frames, and the batches of several such
   * ports of one connection may come together in one grouped frame, each event's bytes once
   * (docs/protocol.md §5, decisions D55).
   */
  GROUPED_NOTIFY: 'grouped-notify',
  /**
   * streamNotify with `repeat: true` (binary or grouped encoding): a kind-1 binary frame's entry
   * may leave out the fields it shares with the entry before it (docs/protocol.md §5, D60).
   */
  BINARY_REPEAT: 'binary-repeat',
} as const;
export type WireFeature = (typeof WireFeature)[keyof typeof WireFeature];

/**
 * Most frames `@clusnotify/client` puts in one batch message (D54; a server takes any number
 * that fits in a frame). Larger batches cost the server a little less per call, but a
 * pipelining caller's whole window then arrives in one read, and caller and server take turns:
 * the server handles it all while the caller waits, then the caller answers while the server
 * waits. With 256 calls in flight, unbounded batches delivered ~20 % less than 64-frame ones in
 * the live benchmark (docs/benchmarks.md, "Batch messages").
 */
export const CLIENT_BATCH_FRAMES = 64;

/** WebSocket close codes the server uses (docs/protocol.md, "Close codes"). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  AUTH_FAILED: 4001,
  MALFORMED_FRAME: 4002,
  SESSION_LIMIT: 4003,
  HELLO_TIMEOUT: 4008,
  FRAME_TOO_LARGE: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

const handle = z.string().min(1).max(128);
const u32 = z.number().int().min(0).max(0xffffffff);
const mask = z.number().int().min(-0x80000000).max(0xffffffff);
const text = z.string().max(65_536);
const timeout = z.number().min(0).optional();
const max = z.number().int().min(1).max(1_000_000).optional();
const none = z.strictObject({});
const byHandle = z.strictObject({ handle });
const byNotify = z.strictObject({ hNotify: handle });
const byGroup = z.strictObject({ hGroup: handle });
const byResource = z.strictObject({ hResource: handle });
const byNode = z.strictObject({ hNode: handle });

/** A filter of {@link WireMethods.resumeNotify} (docs/protocol.md, "Resume"). */
export const wireFilterSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cluster'), filter: mask, notifyKey: u32 }),
  z.strictObject({
    kind: z.literal('object'),
    objectType: u32,
    objectId: text,
    filter: mask,
    notifyKey: u32,
  }),
  z.strictObject({
    kind: z.literal('key'),
    keyPath: text,
    filter: mask,
    watchSubtree: z.boolean(),
    notifyKey: u32,
  }),
  z.strictObject({
    kind: z.literal('v2'),
    objectType: u32,
    filterFlags: z.number().int(),
    notifyKey: u32,
    target: text.optional(),
  }),
]);
/** A port filter as the resume call carries it. */
export type WireFilter = z.infer<typeof wireFilterSchema>;

const addObject = z.strictObject({
  hNotify: handle,
  hObject: handle,
  filter: mask,
  notifyKey: u32,
});
const reAddObject = z.strictObject({
  hNotify: handle,
  hObject: handle,
  filter: mask,
  notifyKey: u32,
  stateSequence: u32,
});
const get = z.strictObject({ hNotify: handle, timeoutMs: timeout, max });

/** Parameter schema of every method the server takes (docs/protocol.md, "Methods"). */
export const WireMethods = {
  openCluster: none,
  closeCluster: byHandle,
  openNode: z.strictObject({ name: text }),
  openGroup: z.strictObject({ name: text }),
  openResource: z.strictObject({ name: text }),
  openNetwork: z.strictObject({ name: text }),
  openNetInterface: z.strictObject({ name: text }),
  closeNode: byHandle,
  closeGroup: byHandle,
  closeResource: byHandle,
  closeNetwork: byHandle,
  closeNetInterface: byHandle,
  getRootKey: z.strictObject({ hCluster: handle }),
  openKey: z.strictObject({ hKey: handle, subKey: text }),
  closeKey: byHandle,
  createNotify: none,
  createNotifyV2: none,
  addNotifyCluster: z.strictObject({
    hNotify: handle,
    hCluster: handle,
    filter: mask,
    notifyKey: u32,
  }),
  addNotifyNode: addObject,
  addNotifyGroup: addObject,
  addNotifyResource: addObject,
  addNotifyNetwork: addObject,
  addNotifyNetInterface: addObject,
  reAddNotifyNode: reAddObject,
  reAddNotifyGroup: reAddObject,
  reAddNotifyResource: reAddObject,
  reAddNotifyNetwork: reAddObject,
  reAddNotifyNetInterface: reAddObject,
  addNotifyKey: z.strictObject({
    hNotify: handle,
    hKey: handle,
    notifyKey: u32,
    filter: mask,
    watchSubTree: z.boolean(),
  }),
  addNotifyV2: z.strictObject({
    hNotify: handle,
    hObject: handle,
    filter: z.strictObject({ objectType: u32, filterFlags: z.number().int() }),
    notifyKey: u32,
    version: u32,
    isTargetedAtObject: z.boolean(),
  }),
  addNotifyResourceTypeV2: z.strictObject({
    hNotify: handle,
    filterFlags: z.number().int(),
    notifyKey: u32,
    resTypeName: text,
    version: u32,
  }),
  getNotify: z.strictObject({ hNotify: handle, timeoutMs: timeout }),
  getNotifyAsync: get,
  getNotifyV2: get,
  streamNotify: z.strictObject({
    hNotify: handle,
    window: z.number().int().min(1).max(MAX_STREAM_WINDOW).optional(),
    encoding: z.enum(['json', 'binary', 'grouped']).optional(),
    /** Kind-1 binary frames may hold repeat entries (D60); only where the server offers it. */
    repeat: z.boolean().optional(),
  }),
  unblockGetNotifyCall: byNotify,
  closeNotify: byNotify,
  resumeNotify: z.strictObject({
    version: z.union([z.literal(1), z.literal(2)]),
    filters: z.array(wireFilterSchema).max(4096),
    afterRevision: z.number().int().min(0),
    /** History partly gone: replay what is left after one lost-events indication (D43). */
    partial: z.boolean().optional(),
  }),
  execute: z.strictObject({
    command: z.looseObject({ type: z.string().max(64) }),
    /** Answer with the command's change records too (D49); only the revision otherwise. */
    changes: z.boolean().optional(),
  }),
  createGroup: z.strictObject({ name: text }),
  createResource: z.strictObject({ hGroup: handle, name: text, resourceType: text }),
  deleteGroup: byGroup,
  onlineGroup: byGroup,
  offlineGroup: byGroup,
  moveGroup: byGroup,
  moveGroupToNode: z.strictObject({ hGroup: handle, hNode: handle }),
  deleteResource: byResource,
  onlineResource: byResource,
  offlineResource: byResource,
  failResource: byResource,
  changeResourceGroup: z.strictObject({ hResource: handle, hGroup: handle }),
  pauseNode: byNode,
  resumeNode: byNode,
  evictNode: byNode,
  createKey: z.strictObject({ hKey: handle, subKey: text }),
  deleteKey: z.strictObject({ hKey: handle, subKey: text }),
  setValue: z.strictObject({
    hKey: handle,
    name: text,
    value: z.strictObject({
      type: u32,
      data: z.union([z.string().max(1_000_000), z.number(), z.array(text).max(1024)]),
    }),
  }),
  deleteValue: z.strictObject({ hKey: handle, name: text }),
  setKeySecurity: z.strictObject({ hKey: handle, security: text }),
  setClusterName: z.strictObject({ name: text }),
  getClusterState: none,
  getServerInfo: none,
  listSessions: z.strictObject({ max: z.number().int().min(1).max(1024).optional() }),
} as const satisfies Record<string, z.ZodType>;

/** Name of a wire method. */
export type WireMethod = keyof typeof WireMethods;
/** Parameters of a wire method. */
export type WireParams<M extends WireMethod> = z.infer<(typeof WireMethods)[M]>;

/** Methods that wait for indications (cancellable with a `cancel` frame). */
export const WAITING_METHODS: ReadonlySet<WireMethod> = new Set([
  'getNotify',
  'getNotifyAsync',
  'getNotifyV2',
]);

// ----- frames -----------------------------------------------------------------------------------

const helloSchema = z.strictObject({
  t: z.literal('hello'),
  v: z.number().int(),
  token: z.string().max(4096),
  client: z.string().max(256).optional(),
});
const callSchema = z.strictObject({
  t: z.literal('call'),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  m: z.string().max(64),
  p: z.looseObject({}).optional(),
});
const cancelSchema = z.strictObject({ t: z.literal('cancel'), id: z.number().int().min(0) });
const ackSchema = z.strictObject({
  t: z.literal('ack'),
  h: handle,
  n: z.number().int().min(1).max(MAX_STREAM_WINDOW),
});
const clientFrameSchema = z.discriminatedUnion('t', [
  helloSchema,
  callSchema,
  cancelSchema,
  ackSchema,
]);

/** A frame from client to server. */
export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type HelloFrame = z.infer<typeof helloSchema>;
export type CallFrame = z.infer<typeof callSchema>;
/** Ends a parked get early. */
export type CancelFrame = z.infer<typeof cancelSchema>;
/** Credit for a stream: the client consumed `n` more of port `h`'s indications. */
export type AckFrame = z.infer<typeof ackSchema>;

/** Limits the server announces in its welcome. */
export interface WireLimits {
  readonly maxFrameBytes: number;
  readonly maxPortsPerSession: number;
  readonly maxFiltersPerPort: number;
  readonly maxBatch: number;
}

/** Frames from server to client. */
export type ServerFrame =
  | {
      readonly t: 'welcome';
      readonly v: number;
      readonly session: string;
      readonly access: 'read' | 'full';
      readonly server: string;
      readonly cluster: { readonly id: string; readonly name: string };
      readonly revision: number;
      readonly limits: WireLimits;
      /** Optional features this server serves ({@link WireFeature}); absent: none. */
      readonly features?: readonly WireFeature[];
    }
  | { readonly t: 'result'; readonly id: number; readonly r: WireResult }
  | NotifyFrame
  | {
      readonly t: 'error';
      readonly id?: number;
      readonly code: string;
      readonly status: number;
      readonly message: string;
    };

/**
 * A batch of a streamed port's indications (docs/protocol.md, "Streams"): `n` holds what
 * getNotifyV2 (version-2 port) or getNotifyAsync (version-1 port) would have returned, oldest
 * first. `drained` says the port's queue was empty after the batch was taken (so every
 * indication of the batch's last revision has arrived). A frame with `end` is the stream's last:
 * the port was closed or unblocked, `end` is the result a get would have had.
 */
export interface NotifyFrame {
  readonly t: 'notify';
  readonly h: string;
  readonly n: readonly unknown[];
  readonly drained: boolean;
  readonly end?: WireResult;
}

/**
 * A method result as it travels: `type` and `status`, plus the method's out-parameters (read
 * them with a cast to the method's result shape; docs/protocol.md lists them).
 */
export interface WireResult {
  readonly type: string;
  readonly status: number;
}

/** A client frame that may travel in a batch: every frame but `hello` (D54). */
export type BatchedFrame = CallFrame | CancelFrame | AckFrame;

/**
 * A batch message as parsed: the frames of its JSON array, in order (docs/protocol.md §2,
 * decisions D54). `t` is `batch` here only; on the wire a batch is the array itself.
 */
export interface FrameBatch {
  readonly t: 'batch';
  readonly frames: readonly BatchedFrame[];
}

/**
 * The message that carries `frames` (each a frame's JSON, in order; at least one): a lone frame
 * as itself, several as a batch, the JSON array of them (D54) that {@link parseClientFrame}
 * reads.
 */
export function batchMessage(frames: readonly string[]): string {
  return frames.length === 1 ? (frames[0] as string) : `[${frames.join(',')}]`;
}

/**
 * Parses a client message: one frame, or a batch of frames (a JSON array of at least one frame
 * other than `hello`); a string describing what is wrong when it is malformed. A batch is
 * checked whole: one malformed frame makes the whole message malformed.
 */
export function parseClientFrame(
  data: string,
): ClientFrame | FrameBatch | { readonly malformed: string } {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { malformed: 'the frame is not JSON' };
  }
  if (!Array.isArray(json)) return wellFormedCall(json) ?? checkClientFrame(json);
  const items: readonly unknown[] = json;
  if (items.length === 0) return { malformed: 'an empty batch (a batch holds at least one frame)' };
  const frames: BatchedFrame[] = [];
  for (let i = 0; i < items.length; i++) {
    const f = wellFormedCall(items[i]) ?? checkClientFrame(items[i]);
    if ('malformed' in f) return { malformed: `batch item ${i}: ${f.malformed}` };
    if (f.t === 'hello')
      return { malformed: `batch item ${i}: hello travels alone, not in a batch` };
    frames.push(f);
  }
  return { t: 'batch', frames };
}

/** `parseClientFrame` after JSON.parse, by the schema alone (tests compare the two). */
export function checkClientFrame(json: unknown): ClientFrame | { readonly malformed: string } {
  const r = clientFrameSchema.safeParse(json);
  if (!r.success)
    return {
      malformed: `the frame does not match the protocol: ${z.prettifyError(r.error).slice(0, 500)}`,
    };
  return r.data;
}

/**
 * A call frame as the schema accepts it, checked by hand: `json` itself when it is one, else
 * undefined (the schema then decides, and words the error). Every call passes here; the schema
 * copies the frame and its parameters, about 1 % of a busy server's time.
 */
export function wellFormedCall(json: unknown): CallFrame | undefined {
  if (!isRecord(json) || json.t !== 'call') return undefined;
  let keys = 0;
  for (const k in json) {
    if (k !== 't' && k !== 'id' && k !== 'm' && k !== 'p') return undefined;
    keys++;
  }
  const { id, m, p } = json;
  if (
    !Number.isSafeInteger(id) ||
    (id as number) < 0 ||
    typeof m !== 'string' ||
    m.length > 64 ||
    (p !== undefined && !isRecord(p)) ||
    keys !== (p === undefined ? 3 : 4)
  )
    return undefined;
  return json as CallFrame;
}

/** Whether `v` is an object and not an array (what JSON calls an object). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `execute`'s parameters as its schema accepts them, checked by hand: `params` itself when they
 * are, else undefined (the schema then decides, and words the error). The writer's every call
 * passes here; the schema copies the command, ~1.5 % of a server busy with one writer.
 */
export function wellFormedExecute(params: unknown): WireParams<'execute'> | undefined {
  if (!isRecord(params)) return undefined;
  let keys = 0;
  for (const k in params) {
    if (k !== 'command' && k !== 'changes') return undefined;
    keys++;
  }
  const { command, changes } = params;
  if (
    !isRecord(command) ||
    (changes !== undefined && typeof changes !== 'boolean') ||
    keys !== (changes === undefined ? 1 : 2)
  )
    return undefined;
  const { type } = command;
  if (typeof type !== 'string' || type.length > 64) return undefined;
  return params as WireParams<'execute'>;
}

/** Validates the parameters of a call; the parsed parameters, or a message naming what is wrong. */
export function parseParams(
  method: string,
  params: unknown,
):
  | { readonly ok: true; readonly method: WireMethod; readonly params: unknown }
  | { readonly ok: false; readonly message: string } {
  if (!Object.hasOwn(WireMethods, method))
    return { ok: false, message: `unknown method ${JSON.stringify(method)}` };
  if (method === 'execute') {
    const quick = wellFormedExecute(params);
    if (quick !== undefined) return { ok: true, method, params: quick };
  }
  const schema = WireMethods[method as WireMethod];
  const r = schema.safeParse(params ?? {});
  if (!r.success)
    return { ok: false, message: `${method}: ${z.prettifyError(r.error).slice(0, 500)}` };
  return { ok: true, method: method as WireMethod, params: r.data };
}

// ----- indications ----------------------------------------------------------------------------------

/** One notification port in a `listSessions` result (docs/protocol.md). */
export interface PortFigures {
  readonly version: 1 | 2;
  readonly state: 'open' | 'unblocked' | 'closed';
  /** Indications waiting in the port's server-side queue now. */
  readonly queued: number;
  /** The queue's bound. */
  readonly maxQueued: number;
  /** Indications dropped because the queue was full (each run became one lost-events entry). */
  readonly dropped: number;
  /** Indications handed to readers. */
  readonly delivered: number;
  readonly filters: number;
  /** Get calls waiting on the port (a streamed port's reader counts while it waits). */
  readonly parked: number;
  /** Streamed to its client (`streamNotify`) rather than read with get calls. */
  readonly streamed: boolean;
}

/** One session in a `listSessions` result (docs/protocol.md). */
export interface SessionFigures {
  /** The session's public name (the welcome frame's `session`). */
  readonly id: string;
  /** True for the session that asked. */
  readonly self: boolean;
  readonly access: 'read' | 'full';
  /** The client name from the hello frame ('' when none). */
  readonly client: string;
  /** When the session was opened (ms since the epoch). */
  readonly openedAt: number;
  /** Open handles (objects and ports). */
  readonly handles: number;
  /** Ports, and the totals over all of them. */
  readonly portCount: number;
  readonly queued: number;
  readonly dropped: number;
  readonly delivered: number;
  /** The first {@link MAX_LISTED_PORTS} ports, one by one. */
  readonly ports: readonly PortFigures[];
}

/** Most ports of one session that `listSessions` lists one by one ({@link SessionFigures.ports}). */
export const MAX_LISTED_PORTS = 64;

/**
 * A version-1 indication on the wire: a getNotifyAsync entry (NOTIFICATION_DATA_ASYNC_RPC,
 * §2.2.3.30, plus the revision), or with `stateSequence` the result of a getNotify.
 */
export interface WireNotificationV1 {
  readonly notifyKey: number;
  readonly filter: number;
  readonly name: string;
  readonly revision: number;
  /** Set on the server's lost-events indication. */
  readonly lost?: LostIndications;
  /** Only getNotify reports it. */
  readonly stateSequence?: number;
}

/** A version-2 indication on the wire: `buffer` in base64. */
export interface WireNotificationV2 {
  readonly notifyKey: number;
  readonly filterAndType: { readonly objectType: number; readonly filterFlags: number };
  readonly objectId: string;
  readonly parentId: string;
  readonly name: string;
  readonly type: string;
  readonly buffer: string;
  readonly revision: number;
  readonly lost?: LostIndications;
}

/** The wire form of a version-2 indication. */
export function toWireNotification(i: IndicationV2): WireNotificationV2 {
  const w = {
    notifyKey: i.notifyKey,
    filterAndType: i.filterAndType,
    objectId: i.objectId,
    parentId: i.parentId,
    name: i.name,
    type: i.type,
    buffer: i.buffer.length === 0 ? '' : toBase64(i.buffer),
    revision: i.revision,
  };
  return i.lost === undefined ? w : { ...w, lost: i.lost };
}

const EMPTY = new Uint8Array(0);

/**
 * A version-2 indication from its wire form, with `notifyKey` in place of the wire's (default:
 * the wire's). One object, made once: the client calls this for every indication it receives
 * (docs/protocol.md §5).
 *
 * @param buffer the entry's payload already decoded, as `checkNotificationsV2` hands it out
 * (the client's path: every payload is decoded once). Left out, `w.buffer` is decoded here,
 * and a buffer that is not valid base64 becomes empty — check entries with
 * `checkNotificationsV2` first, which refuses them (decisions D39).
 */
export function fromWireNotification(
  w: WireNotificationV2,
  notifyKey: number = w.notifyKey,
  buffer?: Uint8Array,
): IndicationV2 {
  return {
    version: 2,
    notifyKey,
    filterAndType: w.filterAndType,
    objectId: w.objectId,
    parentId: w.parentId,
    name: w.name,
    type: w.type,
    buffer: buffer ?? decodeWireBuffer(w.buffer) ?? EMPTY,
    revision: w.revision,
    lost: w.lost,
  };
}
