/**
 * Payload codecs of version-2 indications (reference §4.5 PROPERTY_LIST, §4.6, §13 item 13;
 * docs/decisions.md D17): exact bytes out, raw bytes in, and every malformed input rejected
 * with a PayloadError at the right offset.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ClusPropSyntax,
  PayloadError,
  decodeDword,
  decodeMultiSz,
  decodePropertyList,
  decodeUtf16z,
  encodeDword,
  encodeMultiSz,
  encodePropertyList,
  encodeUtf16z,
} from '@clusnotify/protocol';
import type { PropertyMap, PropertyValue } from '@clusnotify/protocol';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
/** Little-endian DWORDs, for hand-written raw input. */
const dw = (...values: number[]): number[] =>
  values.flatMap((v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);

const NAME = dw(0x00040003);
const ENDMARK = dw(0);

/** Asserts that `fn` throws a PayloadError whose message matches and whose offset is `offset`. */
function rejects(fn: () => unknown, message: RegExp, offset: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PayloadError, `expected a PayloadError, got ${String(e)}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'PayloadError');
    assert.match(e.message, message);
    assert.equal(e.offset, offset, `offset of "${e.message}"`);
    return true;
  });
}

describe('DWORD payloads (§4.6 state and group-type buffers)', () => {
  test('encodeDword writes 4 bytes little-endian, negative values as their 32-bit pattern', () => {
    assert.deepEqual(encodeDword(0x12345678), bytes(0x78, 0x56, 0x34, 0x12));
    assert.deepEqual(encodeDword(0), bytes(0, 0, 0, 0));
    assert.deepEqual(encodeDword(0x81), bytes(0x81, 0, 0, 0));
    assert.deepEqual(encodeDword(0x270f), bytes(0x0f, 0x27, 0, 0));
    assert.deepEqual(encodeDword(0xffffffff), bytes(0xff, 0xff, 0xff, 0xff));
    assert.deepEqual(encodeDword(-1), bytes(0xff, 0xff, 0xff, 0xff));
  });

  test('each encodeDword result has bytes of its own, across block boundaries', () => {
    const all = Array.from({ length: 3000 }, (_, i) => encodeDword(i));
    all[0]?.fill(0xee);
    all.forEach((b, i) => {
      if (i > 0) assert.deepEqual(b, encodeDword(i));
      assert.equal(b.length, 4);
    });
    assert.deepEqual(all[0], bytes(0xee, 0xee, 0xee, 0xee));
    assert.deepEqual(all[1], bytes(1, 0, 0, 0));
  });

  test('decodeDword reads exactly 4 bytes, also from a view into a larger buffer', () => {
    assert.equal(decodeDword(bytes(0x78, 0x56, 0x34, 0x12)), 0x12345678);
    assert.equal(decodeDword(bytes(0xff, 0xff, 0xff, 0xff)), 0xffffffff);
    const big = bytes(9, 9, 0x03, 0, 0, 0, 9);
    assert.equal(decodeDword(big.subarray(2, 6)), 3);
  });

  test('decodeDword rejects any other length', () => {
    rejects(() => decodeDword(bytes()), /4 bytes, got 0/, 0);
    rejects(() => decodeDword(bytes(1, 2, 3)), /4 bytes, got 3/, 0);
    rejects(() => decodeDword(bytes(1, 2, 3, 4, 5)), /4 bytes, got 5/, 0);
  });
});

describe('UTF-16 string payloads (§4.6 ids in buffers, §13 item 13)', () => {
  test('encodeUtf16z writes UTF-16LE code units and a terminating NUL', () => {
    assert.deepEqual(encodeUtf16z(''), bytes(0, 0));
    assert.deepEqual(encodeUtf16z('Ab'), bytes(0x41, 0, 0x62, 0, 0, 0));
    assert.deepEqual(encodeUtf16z('é'), bytes(0xe9, 0, 0, 0));
    assert.deepEqual(encodeUtf16z('€'), bytes(0xac, 0x20, 0, 0));
    // U+1F600 is the surrogate pair D83D DE00.
    assert.deepEqual(encodeUtf16z('\u{1f600}'), bytes(0x3d, 0xd8, 0x00, 0xde, 0, 0));
  });

  test('decodeUtf16z reads what encodeUtf16z writes', () => {
    assert.equal(decodeUtf16z(bytes(0x41, 0, 0x62, 0, 0, 0)), 'Ab');
    assert.equal(decodeUtf16z(bytes(0, 0)), '');
    assert.equal(decodeUtf16z(bytes(0x3d, 0xd8, 0x00, 0xde, 0, 0)), '\u{1f600}');
    const id = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
    assert.equal(decodeUtf16z(encodeUtf16z(id)), id);
    const long = 'x'.repeat(20_000);
    assert.equal(decodeUtf16z(encodeUtf16z(long)), long);
  });

  test('decodeUtf16z keeps lone surrogates, and reads a view at an odd byte offset alike', () => {
    for (const s of ['\ud800', 'a\udc00b', '\udfff\ud800', `${'x'.repeat(5000)}\ud83d`]) {
      const encoded = encodeUtf16z(s);
      assert.equal(decodeUtf16z(encoded), s);
      // The same bytes one byte into a larger buffer: not readable as 16-bit units in place.
      const odd = new Uint8Array(encoded.length + 1).subarray(1);
      odd.set(encoded);
      assert.equal(decodeUtf16z(odd), s);
    }
    const props = { Name: 'x\ud800', List: ['\udc00', 'b'], N: 7 };
    const list = encodePropertyList(props);
    const odd = new Uint8Array(list.length + 1).subarray(1);
    odd.set(list);
    assert.deepEqual(decodePropertyList(odd), props);
    assert.deepEqual(decodePropertyList(list), props);
  });

  test('decodeUtf16z rejects a missing terminator, an odd length and bytes after the NUL', () => {
    rejects(() => decodeUtf16z(bytes()), /unterminated/, 0);
    rejects(() => decodeUtf16z(bytes(0x41, 0)), /unterminated/, 2);
    rejects(() => decodeUtf16z(bytes(0x41)), /unterminated/, 0);
    rejects(() => decodeUtf16z(bytes(0x41, 0, 0)), /unterminated/, 2);
    rejects(() => decodeUtf16z(bytes(0, 0, 0x41, 0)), /after the string terminator/, 2);
    rejects(() => decodeUtf16z(bytes(0x41, 0, 0, 0, 0)), /after the string terminator/, 4);
  });
});

describe('MULTI_SZ payloads (§4.6 preferred owners, possible owners, dependents)', () => {
  test('encodeMultiSz NUL-terminates each string and adds one more NUL; an empty list is one NUL', () => {
    assert.deepEqual(encodeMultiSz([]), bytes(0, 0));
    assert.deepEqual(encodeMultiSz(['a']), bytes(0x61, 0, 0, 0, 0, 0));
    assert.deepEqual(
      encodeMultiSz(['a', 'bc']),
      bytes(0x61, 0, 0, 0, 0x62, 0, 0x63, 0, 0, 0, 0, 0),
    );
  });

  test('decodeMultiSz reads what encodeMultiSz writes', () => {
    assert.deepEqual(decodeMultiSz(bytes(0, 0)), []);
    assert.deepEqual(decodeMultiSz(bytes(0x61, 0, 0, 0, 0x62, 0, 0x63, 0, 0, 0, 0, 0)), [
      'a',
      'bc',
    ]);
  });

  test('decodeMultiSz rejects a missing final NUL, a truncated string and trailing bytes', () => {
    rejects(() => decodeMultiSz(bytes()), /unterminated MULTI_SZ/, 0);
    rejects(() => decodeMultiSz(bytes(0x61, 0, 0, 0)), /unterminated MULTI_SZ/, 4);
    rejects(() => decodeMultiSz(bytes(0x61, 0, 0x62, 0)), /unterminated UTF-16/, 4);
    rejects(() => decodeMultiSz(bytes(0, 0, 0, 0)), /after the MULTI_SZ terminator/, 2);
    rejects(() => decodeMultiSz(bytes(0x61, 0, 0, 0, 0, 0, 0x62)), /after the MULTI_SZ/, 6);
  });
});

describe('PROPERTY_LIST payloads (§4.5, MS-CMRP §2.2.3.10)', () => {
  // Names 'Ab' (6 bytes, padded to 8), 'L', 'Sz', 'M'; values DWORD, LONG, SZ, MULTI_SZ.
  const expected = bytes(
    ...dw(4), // property count
    ...NAME,
    ...dw(6),
    ...[0x41, 0, 0x62, 0, 0, 0, 0, 0], // "Ab" NUL, pad to 8
    ...dw(ClusPropSyntax.LIST_VALUE_DWORD, 4, 0x01020304),
    ...ENDMARK,
    ...NAME,
    ...dw(4),
    ...[0x4c, 0, 0, 0], // "L" NUL
    ...dw(ClusPropSyntax.LIST_VALUE_LONG, 4),
    ...[0xfe, 0xff, 0xff, 0xff], // -2
    ...ENDMARK,
    ...NAME,
    ...dw(6),
    ...[0x53, 0, 0x7a, 0, 0, 0, 0, 0], // "Sz" NUL, pad
    ...dw(ClusPropSyntax.LIST_VALUE_SZ, 6),
    ...[0x78, 0, 0x79, 0, 0, 0, 0, 0], // "xy" NUL, pad
    ...ENDMARK,
    ...NAME,
    ...dw(4),
    ...[0x4d, 0, 0, 0], // "M" NUL
    ...dw(ClusPropSyntax.LIST_VALUE_MULTI_SZ, 10),
    ...[0x61, 0, 0, 0, 0x62, 0, 0, 0, 0, 0, 0, 0], // "a" NUL "b" NUL NUL, pad
    ...ENDMARK,
  );
  const props = { Ab: 0x01020304, L: -2, Sz: 'xy', M: ['a', 'b'] };

  test('the syntax constants are the §2.2.3.10.1 values', () => {
    assert.equal(ClusPropSyntax.NAME, 0x00040003);
    assert.equal(ClusPropSyntax.ENDMARK, 0);
    assert.equal(ClusPropSyntax.LIST_VALUE_DWORD, 0x00010002);
    assert.equal(ClusPropSyntax.LIST_VALUE_SZ, 0x00010003);
    assert.equal(ClusPropSyntax.LIST_VALUE_MULTI_SZ, 0x00010005);
    assert.equal(ClusPropSyntax.LIST_VALUE_LONG, 0x00010007);
  });

  test('encodePropertyList writes count, then per property a name, one value, padding to 4 and an end mark', () => {
    const out = encodePropertyList(props);
    assert.equal(out.length, 136);
    assert.deepEqual(out, expected);
  });

  test('an empty property list is a zero count', () => {
    assert.deepEqual(encodePropertyList({}), bytes(0, 0, 0, 0));
    assert.deepEqual(decodePropertyList(bytes(0, 0, 0, 0)), {});
  });

  test('decodePropertyList reads the raw bytes back, also from a view into a larger buffer', () => {
    assert.deepEqual(decodePropertyList(expected), props);
    const big = new Uint8Array(expected.length + 6);
    big.set(expected, 3);
    assert.deepEqual(decodePropertyList(big.subarray(3, 3 + expected.length)), props);
  });

  test('decodePropertyList accepts EXPAND_SZ values as strings', () => {
    const raw = bytes(
      ...dw(1),
      ...NAME,
      ...dw(4),
      ...[0x50, 0, 0, 0],
      ...dw(ClusPropSyntax.LIST_VALUE_EXPAND_SZ, 4),
      ...[0x25, 0, 0, 0],
      ...ENDMARK,
    );
    assert.deepEqual(decodePropertyList(raw), { P: '%' });
  });

  test('a property named __proto__ decodes as an own property, not as the prototype', () => {
    const raw = encodePropertyList(JSON.parse('{"__proto__": ["a"], "x": 1}') as PropertyMap);
    const out = decodePropertyList(raw);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__', 'x']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, ['a']);
  });

  /** One property "P" = DWORD 7, with parts replaceable to build malformed input. */
  const one = (
    parts: {
      count?: number[];
      nameSyntax?: number[];
      nameSize?: number[];
      name?: number[];
      value?: number[];
      end?: number[];
    } = {},
  ): Uint8Array =>
    bytes(
      ...(parts.count ?? dw(1)),
      ...(parts.nameSyntax ?? NAME),
      ...(parts.nameSize ?? dw(4)),
      ...(parts.name ?? [0x50, 0, 0, 0]),
      ...(parts.value ?? dw(ClusPropSyntax.LIST_VALUE_DWORD, 4, 7)),
      ...(parts.end ?? ENDMARK),
    );

  test('the helper input is well formed', () => {
    assert.deepEqual(decodePropertyList(one()), { P: 7 });
  });

  test('decodePropertyList rejects truncated input at the point it runs out', () => {
    rejects(() => decodePropertyList(bytes()), /truncated/, 0);
    rejects(() => decodePropertyList(bytes(1, 0, 0)), /truncated/, 0);
    rejects(() => decodePropertyList(bytes(...dw(1))), /truncated/, 4);
    const full = one();
    rejects(() => decodePropertyList(full.subarray(0, 10)), /truncated/, 4);
    rejects(() => decodePropertyList(full.subarray(0, 14)), /truncated/, 12);
    rejects(() => decodePropertyList(full.subarray(0, 20)), /truncated/, 16);
    rejects(() => decodePropertyList(full.subarray(0, 26)), /truncated/, 24);
    rejects(() => decodePropertyList(full.subarray(0, 30)), /truncated/, 28);
    rejects(() => decodePropertyList(one({ count: dw(2) })), /truncated/, 32);
  });

  test('decodePropertyList rejects a name entry without CLUSPROP_SYNTAX_NAME', () => {
    rejects(
      () => decodePropertyList(one({ nameSyntax: dw(ClusPropSyntax.LIST_VALUE_SZ) })),
      /expected a property name/,
      4,
    );
  });

  test('decodePropertyList rejects a name without terminator or whose size does not match it', () => {
    rejects(() => decodePropertyList(one({ name: [0x50, 0, 0x51, 0] })), /unterminated UTF-16/, 16);
    rejects(
      () => decodePropertyList(one({ nameSize: dw(8), name: [0x50, 0, 0, 0, 0x51, 0, 0, 0] })),
      /name size does not match/,
      8,
    );
    rejects(() => decodePropertyList(one({ nameSize: dw(0), name: [] })), /unterminated/, 12);
  });

  test('decodePropertyList rejects an unknown value syntax', () => {
    rejects(
      () => decodePropertyList(one({ value: dw(ClusPropSyntax.LIST_VALUE_BINARY, 4, 0x01020304) })),
      /unsupported value syntax 0x10001/,
      16,
    );
    rejects(
      () => decodePropertyList(one({ value: dw(0x00010006, 4, 0) })),
      /unsupported value syntax 0x10006/,
      16,
    );
  });

  test('decodePropertyList rejects a DWORD or LONG whose size is not 4', () => {
    rejects(
      () => decodePropertyList(one({ value: dw(ClusPropSyntax.LIST_VALUE_DWORD, 2, 7) })),
      /4 bytes, got 2/,
      16,
    );
    rejects(
      () => decodePropertyList(one({ value: dw(ClusPropSyntax.LIST_VALUE_LONG, 8, 7, 7) })),
      /4 bytes, got 8/,
      16,
    );
  });

  test('decodePropertyList rejects string values without terminator or with bytes after it', () => {
    rejects(
      () =>
        decodePropertyList(
          one({ value: [...dw(ClusPropSyntax.LIST_VALUE_SZ, 4), 0x78, 0, 0x79, 0] }),
        ),
      /unterminated UTF-16/,
      28,
    );
    rejects(
      () =>
        decodePropertyList(one({ value: [...dw(ClusPropSyntax.LIST_VALUE_SZ, 4), 0, 0, 0x79, 0] })),
      /value size does not match/,
      20,
    );
    rejects(
      () =>
        decodePropertyList(
          one({ value: [...dw(ClusPropSyntax.LIST_VALUE_MULTI_SZ, 4), 0x61, 0, 0, 0] }),
        ),
      /unterminated MULTI_SZ/,
      28,
    );
  });

  test('decodePropertyList rejects sizes near 2^32 as truncated, never with a RangeError', () => {
    for (const size of [0x7ffffffc, 0x80000000, 0xfffffffc, 0xffffffff]) {
      rejects(() => decodePropertyList(one({ nameSize: dw(size) })), /truncated/, 12);
      rejects(
        () => decodePropertyList(one({ value: dw(ClusPropSyntax.LIST_VALUE_SZ, size, 0) })),
        /truncated/,
        24,
      );
    }
    rejects(() => decodePropertyList(one({ count: dw(0xffffffff) })), /truncated/, 32);
  });

  test('decodePropertyList rejects a missing end mark and bytes after the last property', () => {
    rejects(() => decodePropertyList(one({ end: dw(1) })), /expected an end mark/, 28);
    rejects(() => decodePropertyList(one({ end: [] })), /truncated/, 28);
    rejects(() => decodePropertyList(one({ end: [0, 0, 0, 0, 0] })), /after the last property/, 32);
    rejects(() => decodePropertyList(bytes(...dw(0), 0)), /after the last property/, 4);
  });
});

describe('codec round trips (property test)', () => {
  const text = fc.string({ unit: 'binary', maxLength: 20 });
  const nonEmpty = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 });
  // Strings inside a MULTI_SZ may not contain NUL (it ends the string) nor be empty.
  const noNul = nonEmpty.filter((s) => !s.includes('\u0000'));

  test('encodeUtf16z / decodeUtf16z round-trip every string without NUL', () => {
    fc.assert(
      fc.property(
        text.filter((s) => !s.includes('\u0000')),
        (s) => decodeUtf16z(encodeUtf16z(s)) === s,
      ),
    );
  });

  test('encodeMultiSz / decodeMultiSz round-trip every list of non-empty strings', () => {
    fc.assert(
      fc.property(fc.array(noNul, { maxLength: 6 }), (list) => {
        assert.deepEqual(decodeMultiSz(encodeMultiSz(list)), list);
      }),
    );
  });

  test('encodePropertyList / decodePropertyList round-trip DWORD, LONG, SZ and MULTI_SZ values', () => {
    const value: fc.Arbitrary<PropertyValue> = fc.oneof(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -0x80000000, max: -1 }),
      text.filter((s) => !s.includes('\u0000')),
      fc.array(noNul, { maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.dictionary(noNul, value, { maxKeys: 6, noNullPrototype: true }), (props) => {
        const out = encodePropertyList(props);
        assert.equal(out.length % 4, 0, 'every entry is padded to 4 bytes');
        assert.deepEqual(decodePropertyList(out), props);
      }),
    );
  });

  test('decoders given arbitrary bytes either decode or throw a PayloadError', () => {
    const decoders = [decodeDword, decodeUtf16z, decodeMultiSz, decodePropertyList];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(3), (raw, which) => {
        try {
          (decoders[which] as (b: Uint8Array) => unknown)(raw);
        } catch (e) {
          assert.ok(e instanceof PayloadError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('payload bytes', () => {
  test('every payload has bytes of its own, across block boundaries, whatever its kind and size', () => {
    // Sizes from 4 bytes to past the largest piece a shared block gives (2 KiB), interleaved,
    // so that pieces of every kind sit next to each other and cross block boundaries.
    const make = (i: number): { bytes: Uint8Array; check: (b: Uint8Array) => void } => {
      const text = `v${i}-${'x'.repeat((i * 37) % 1500)}`;
      switch (i % 4) {
        case 0:
          return { bytes: encodeDword(i), check: (b) => assert.equal(decodeDword(b), i) };
        case 1:
          return { bytes: encodeUtf16z(text), check: (b) => assert.equal(decodeUtf16z(b), text) };
        case 2:
          return {
            bytes: encodeMultiSz([text, 'b']),
            check: (b) => assert.deepEqual(decodeMultiSz(b), [text, 'b']),
          };
        default:
          return {
            bytes: encodePropertyList({ P: text, Q: i }),
            check: (b) => assert.deepEqual(decodePropertyList(b), { P: text, Q: i }),
          };
      }
    };
    const all = Array.from({ length: 2000 }, (_, i) => make(i));
    assert.ok(all.some(({ bytes: b }) => b.length > 2048));
    // Overwriting some payloads changes no other.
    for (let i = 0; i < all.length; i += 7) (all[i] as { bytes: Uint8Array }).bytes.fill(0xee);
    all.forEach(({ bytes: b, check }, i) => {
      if (i % 7 !== 0) check(b);
    });
  });
});
