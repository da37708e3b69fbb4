import { Buffer } from 'node:buffer';
import { StoreError } from './state-store.js';
import type { Commit, JsonValue, ObjectKey, StoredObject } from './state-store.js';

import { MAX_COMMIT_BYTES, MAX_DOCUMENT_BYTES } from './limits.js';

/**
 * Deepest nesting of arrays and objects accepted in a value. The check walks values
 * recursively; the bound keeps a hostile value from overflowing the stack.
 */
const MAX_DEPTH = 512;

/** A document of a validated commit, its value already serialised. */
export interface PreparedPut {
  readonly kind: string;
  readonly id: string;
  readonly json: string;
}

/** A validated commit input: what an adapter writes, and nothing it still has to check. */
export interface PreparedCommit {
  readonly puts: readonly PreparedPut[];
  readonly deletes: readonly ObjectKey[];
  /** JSON of `{ puts, deletes, changes }`, as the log stores it. */
  readonly body: string;
  /** Where the JSON of `changes` starts in `body` (it runs to the last character but one). */
  readonly changesAt: number;
  readonly expectRevision: number | undefined;
}

/** The rejection of a call on a store that is closing or closed. */
export function closedError(kind: string, what: string): StoreError {
  return new StoreError('STORE_CLOSED', `${what}: the ${kind} store is closed`);
}

/** Throws `STORE_INVALID` with `message`. */
export function invalid(message: string): never {
  throw new StoreError('STORE_INVALID', message);
}

/** Checks that `value` is a revision number (a non-negative safe integer). */
export function checkRevisionArgument(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    invalid(`${name} must be a non-negative integer revision (got ${describe(value)})`);
  return value;
}

/** Checks a count option: a positive safe integer, or undefined for `fallback`. */
export function checkCountOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    invalid(`${name} must be a positive integer (got ${describe(value)})`);
  return value;
}

// In a `u` regular expression a well-formed surrogate pair is one code point, so this matches
// lone surrogates only. SQLite would store them as U+FFFD and hand back a different key.
const LONE_SURROGATE = /\p{Cs}/u;

/** Checks a document address: kind and id non-empty, well-formed strings without NUL. */
export function checkKey(key: unknown, where: string): ObjectKey {
  if (typeof key !== 'object' || key === null)
    invalid(`${where} must be an object { kind, id } (got ${describe(key)})`);
  const { kind, id } = key as { kind?: unknown; id?: unknown };
  return { kind: checkName(kind, `${where}.kind`), id: checkName(id, `${where}.id`) };
}

function isName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    !value.includes('\0') &&
    !LONE_SURROGATE.test(value)
  );
}

/**
 * `checkKey` for the common case: the key when `key` is a valid address, undefined otherwise
 * (then `checkKey` says why). Builds no message on the way.
 */
function validKey(key: unknown): ObjectKey | undefined {
  if (typeof key !== 'object' || key === null) return undefined;
  const { kind, id } = key as { kind?: unknown; id?: unknown };
  return isName(kind) && isName(id) ? { kind, id } : undefined;
}

function checkName(value: unknown, where: string): string {
  if (!isName(value))
    invalid(
      `${where} must be a non-empty string without NUL characters or lone surrogates (got ${describe(value)})`,
    );
  return value;
}

/**
 * Validates a `commit()` call and serialises it. Throws `STORE_INVALID` naming the offending
 * argument when the input is not `{ puts, deletes, changes }` of JSON values, when a value
 * is not plain JSON (undefined, functions, symbols, bigints, NaN/Infinity, cycles, class
 * instances, sparse arrays), when one commit touches the same document twice, or when a
 * size bound is exceeded. Never touches a store.
 */
export function prepareCommit(input: unknown, options: unknown): PreparedCommit {
  try {
    return prepare(input, options);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    // A throwing getter or proxy trap in the input.
    invalid(
      `commit input could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function prepare(input: unknown, options: unknown): PreparedCommit {
  if (typeof input !== 'object' || input === null)
    invalid(`commit input must be an object { puts, deletes, changes } (got ${describe(input)})`);
  const { puts, deletes, changes } = input as {
    puts?: unknown;
    deletes?: unknown;
    changes?: unknown;
  };
  if (!Array.isArray(puts))
    invalid(`commit input.puts must be an array of { kind, id, value } (got ${describe(puts)})`);
  if (!Array.isArray(deletes))
    invalid(`commit input.deletes must be an array of { kind, id } (got ${describe(deletes)})`);
  if (!Array.isArray(changes))
    invalid(`commit input.changes must be an array of JSON values (got ${describe(changes)})`);
  const expectRevision = checkCommitOptions(options);

  // Messages name the offending argument; they are built only on failure.
  const at = (list: string, i: number): string => `commit input.${list}[${i}]`;
  const touched = new Set<string>();
  const touch = (key: ObjectKey, list: string, i: number): void => {
    const k = `${key.kind}\0${key.id}`;
    if (touched.has(k))
      invalid(
        `${at(list, i)} (${key.kind}/${key.id}) names a document this commit already puts or deletes; one commit touches a document once`,
      );
    touched.add(k);
  };

  const preparedPuts: PreparedPut[] = [];
  let body = '{"puts":[';
  for (let i = 0; i < puts.length; i++) {
    const put: unknown = puts[i];
    const { kind, id } = validKey(put) ?? checkKey(put, at('puts', i));
    touch({ kind, id }, 'puts', i);
    const value = (put as { value?: unknown }).value;
    checkJson(value, () => `${at('puts', i)}.value`);
    const json = JSON.stringify(value);
    if (utf8Exceeds(json, MAX_DOCUMENT_BYTES))
      invalid(
        `${at('puts', i)}.value is ${Buffer.byteLength(json)} bytes of JSON; a document holds at most ${MAX_DOCUMENT_BYTES} (MAX_DOCUMENT_BYTES)`,
      );
    preparedPuts.push({ kind, id, json });
    body += `${i === 0 ? '' : ','}{"kind":${JSON.stringify(kind)},"id":${JSON.stringify(id)},"value":${json}}`;
    // UTF-8 never takes fewer bytes than UTF-16 code units, so this is a safe early exit.
    if (body.length > MAX_COMMIT_BYTES) tooLarge(body.length);
  }
  body += '],"deletes":[';
  const preparedDeletes: ObjectKey[] = [];
  for (let i = 0; i < deletes.length; i++) {
    const key = validKey(deletes[i]) ?? checkKey(deletes[i], at('deletes', i));
    touch(key, 'deletes', i);
    preparedDeletes.push(key);
    body += `${i === 0 ? '' : ','}{"kind":${JSON.stringify(key.kind)},"id":${JSON.stringify(key.id)}}`;
    if (body.length > MAX_COMMIT_BYTES) tooLarge(body.length);
  }
  checkJson(changes, () => 'commit input.changes');
  body += '],"changes":';
  const changesAt = body.length;
  body += `${JSON.stringify(changes)}}`;
  if (utf8Exceeds(body, MAX_COMMIT_BYTES)) tooLarge(Buffer.byteLength(body));
  return { puts: preparedPuts, deletes: preparedDeletes, body, changesAt, expectRevision };
}

function checkCommitOptions(options: unknown): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null)
    invalid(`commit options must be an object { expectRevision? } (got ${describe(options)})`);
  const { expectRevision } = options as { expectRevision?: unknown };
  if (expectRevision === undefined) return undefined;
  return checkRevisionArgument('commit options.expectRevision', expectRevision);
}

function tooLarge(bytes: number): never {
  invalid(
    `commit input is at least ${bytes} bytes of JSON; a commit holds at most ${MAX_COMMIT_BYTES} (MAX_COMMIT_BYTES)`,
  );
}

function utf8Exceeds(json: string, limit: number): boolean {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: short strings need no count.
  return json.length * 3 > limit && Buffer.byteLength(json) > limit;
}

/**
 * Throws `STORE_INVALID` when `value` is not plain JSON, the message starting with `where()`.
 * The common case, plain JSON, is one walk without the set of ancestors; only a value that fails
 * it is walked again with the set, so that a cycle (which fails the first walk by its depth) is
 * named as one.
 */
function checkJson(value: unknown, where: () => string): void {
  const problem = jsonProblem(value, 0, undefined);
  if (problem === undefined) return;
  invalid(`${where()}${jsonProblem(value, 0, new Set()) ?? problem}`);
}

/**
 * Why `value` is not plain JSON, as the tail of a sentence that starts with its path
 * (`'.a[2] is NaN …'`), or undefined when it is. The path is built only on failure. Without
 * `ancestors`, a cycle is reported only as nesting deeper than `MAX_DEPTH`.
 */
function jsonProblem(
  value: unknown,
  depth: number,
  ancestors: Set<object> | undefined,
): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : ` is ${value}; JSON has no NaN or Infinity`;
    case 'undefined':
    case 'function':
    case 'symbol':
    case 'bigint':
      return ` is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}; only null, booleans, finite numbers, strings, arrays and plain objects are JSON`;
    case 'object':
      break;
  }
  if (value === null) return undefined;
  if (depth >= MAX_DEPTH) return ` nests deeper than ${MAX_DEPTH} levels`;
  if (ancestors?.has(value) === true) return ' contains itself (a cycle); JSON is a tree';
  ancestors?.add(value);
  try {
    if (Array.isArray(value)) {
      const items: readonly unknown[] = value;
      for (let i = 0; i < items.length; i++) {
        if (!(i in items)) return `[${i}] is a hole in a sparse array; JSON arrays are dense`;
        const problem = jsonProblem(items[i], depth + 1, ancestors);
        if (problem !== undefined) return `[${i}]${problem}`;
      }
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return ` is ${typeof name === 'string' ? `a ${name}` : 'a class instance'}; only plain objects and arrays are JSON containers`;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const problem = jsonProblem(record[key], depth + 1, ancestors);
      if (problem !== undefined)
        return `${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}${problem}`;
    }
    return undefined;
  } finally {
    ancestors?.delete(value);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Deep-freezes a parsed JSON value in place and returns it. */
function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) freeze(child);
  }
  return value;
}

/**
 * The committed entry for `body` (from {@link prepareCommit} or the log) at `revision`: a
 * fresh, deep-frozen copy, so no caller can change what the store or another reader sees.
 */
export function parseCommit(revision: number, body: string): Commit {
  const parsed = JSON.parse(body) as Pick<Commit, 'puts' | 'deletes' | 'changes'>;
  return freeze({
    revision,
    puts: parsed.puts,
    deletes: parsed.deletes,
    changes: parsed.changes,
  });
}

/**
 * The committed entry for `body` at `revision`, parsed on first use: `puts`, `deletes` and
 * `changes` are enumerable getters that parse `body` once into a deep-frozen value shared by
 * every reader. A commit nobody reads costs only its JSON string; the entry itself is frozen,
 * so it behaves as {@link parseCommit}'s copy does (JSON.stringify, spread and deep equality
 * see the same properties). With `changesAt` (see {@link PreparedCommit}), reading only
 * `changes` parses only the change records.
 */
export function lazyCommit(revision: number, body: string, changesAt?: number): Commit {
  return lazyCommitFrom(
    revision,
    () => body,
    changesAt === undefined ? undefined : () => body.slice(changesAt, body.length - 1),
  );
}

/**
 * {@link lazyCommit} over loaders: `body()` gives the commit's JSON, `changes()` (when given)
 * the JSON of its change records alone. Each is called at most once.
 */
export function lazyCommitFrom(
  revision: number,
  body: () => string,
  changes: (() => string) | undefined,
): Commit {
  const state: CommitState = { body, changes, parsed: undefined, parsedChanges: undefined };
  return withAccessors({ revision }, state, COMMIT_ACCESSORS) as unknown as Commit;
}

/** A document whose `value` is parsed from `json` on first use, deep-frozen (see {@link lazyCommit}). */
export function lazyDocument(kind: string, id: string, json: string): StoredObject {
  const state: DocumentState = { json, value: undefined };
  return withAccessors({ kind, id }, state, DOCUMENT_ACCESSORS) as unknown as StoredObject;
}

/** Where a lazy entry keeps what its getters read (a non-enumerable own property). */
const LAZY = Symbol('lazy entry state');

type Parsed = Pick<Commit, 'puts' | 'deletes' | 'changes'>;
interface CommitState {
  body: (() => string) | undefined;
  changes: (() => string) | undefined;
  parsed: Parsed | undefined;
  parsedChanges: readonly JsonValue[] | undefined;
}
interface DocumentState {
  json: string | undefined;
  value: JsonValue | undefined;
}
type Lazy<S> = { readonly [LAZY]: S };

/**
 * `fields` with own enumerable accessors `accessors` reading `state`, frozen: to JSON.stringify,
 * spread and deep equality a plain object with those properties. Every entry shares the same
 * getter functions, which find their entry's state through `this`. Getters written in an object
 * literal are new closures for each object, and V8 keeps each object's accessor pair in the old
 * generation: the pair then holds its closures, and through them the commit's JSON, alive through
 * every young-generation collection until a full one. The live benchmark's server copied each
 * commit body twice and promoted it (~0.75 MB per collection; docs/benchmarks.md, "lazy commit
 * entries and the young generation").
 */
function withAccessors<S>(fields: object, state: S, accessors: PropertyDescriptorMap): object {
  Object.defineProperty(fields, LAZY, { value: state });
  Object.defineProperties(fields, accessors);
  return Object.freeze(fields);
}

function loadCommit(s: CommitState): Parsed {
  if (s.parsed !== undefined) return s.parsed;
  const body = s.body as () => string;
  s.parsed = freeze(JSON.parse(body()) as Parsed);
  s.body = undefined;
  s.changes = undefined;
  return s.parsed;
}

const COMMIT_ACCESSORS: PropertyDescriptorMap = {
  puts: {
    enumerable: true,
    get(this: Lazy<CommitState>) {
      return loadCommit(this[LAZY]).puts;
    },
  },
  deletes: {
    enumerable: true,
    get(this: Lazy<CommitState>) {
      return loadCommit(this[LAZY]).deletes;
    },
  },
  changes: {
    enumerable: true,
    get(this: Lazy<CommitState>) {
      // Readers of the log (resume, followers) want only the change records: with a loader
      // for them, the documents are not parsed.
      const s = this[LAZY];
      if (s.parsedChanges !== undefined) return s.parsedChanges;
      const changes = s.changes;
      if (s.parsed !== undefined || changes === undefined) return loadCommit(s).changes;
      s.parsedChanges = freeze(JSON.parse(changes()) as readonly JsonValue[]);
      s.changes = undefined;
      return s.parsedChanges;
    },
  },
};

const DOCUMENT_ACCESSORS: PropertyDescriptorMap = {
  value: {
    enumerable: true,
    get(this: Lazy<DocumentState>): JsonValue {
      const s = this[LAZY];
      if (s.json !== undefined) {
        s.value = parseValue(s.json);
        s.json = undefined;
      }
      return s.value as JsonValue;
    },
  },
};

/** A parsed, deep-frozen document value. */
export function parseValue(json: string): JsonValue {
  return freeze(JSON.parse(json) as JsonValue);
}
