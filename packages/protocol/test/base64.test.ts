/**
 * The base64 codec of `buffer` payloads (docs/protocol.md §3, §5): decoding undoes encoding,
 * and the decoder accepts and rejects exactly what a character-by-character model does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromBase64, toBase64 } from '@clusnotify/protocol';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The naive model: one character at a time, padding only in the last one or two places. */
function modelDecode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charAt(i + k);
      const isPad = c === '=' && i + k >= text.length - pad;
      const v = isPad ? 0 : ALPHABET.indexOf(c);
      if (v < 0) return undefined;
      n = n * 64 + v;
    }
    for (const byte of [Math.floor(n / 65536), Math.floor(n / 256) % 256, n % 256])
      if (o < out.length) out[o++] = byte;
  }
  return out;
}

test('fromBase64 undoes toBase64 for any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.deepEqual(fromBase64(toBase64(bytes)), bytes);
    }),
    { numRuns: 2000 },
  );
});

test('fromBase64 accepts and rejects exactly what the character-by-character model does', () => {
  // Mostly alphabet characters, with padding, a non-ASCII letter, a space and a NUL mixed in.
  const char = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...Array.from(ALPHABET, (c) => c)) },
    { weight: 3, arbitrary: fc.constant('=') },
    { weight: 1, arbitrary: fc.constantFrom('é', ' ', '\u0000', '\u00ff', '-', '_', '\ud800') },
  );
  fc.assert(
    fc.property(fc.array(char, { maxLength: 24 }), (chars) => {
      const text = chars.join('');
      assert.deepEqual(fromBase64(text), modelDecode(text), JSON.stringify(text));
    }),
    { numRuns: 20000 },
  );
});

test('fromBase64 accepts and rejects exactly what the model does, also for text long enough to decode natively', () => {
  // On Node.js text from 32 characters on goes to the native decoder, which is lenient: the
  // check around it must refuse what the model refuses. Long runs of the alphabet, with the
  // same characters mixed in.
  const char = fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(...Array.from(ALPHABET, (c) => c)) },
    { weight: 2, arbitrary: fc.constant('=') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('é', ' ', '\n', '\u0000', '\u00ff', '-', '_', '\ud800'),
    },
  );
  fc.assert(
    fc.property(
      fc.array(char, { minLength: 28, maxLength: 80 }),
      fc.constantFrom('', '=', '=='),
      (chars, tail) => {
        const text = chars.join('') + tail;
        assert.deepEqual(fromBase64(text), modelDecode(text), JSON.stringify(text));
      },
    ),
    { numRuns: 20000 },
  );
  // Valid text of every length class, and one wrong character in each place of it.
  for (let n = 24; n < 60; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, k) => (k * 37 + n) & 255);
    const text = toBase64(bytes);
    assert.deepEqual(fromBase64(text), bytes);
    for (let i = 0; i < text.length; i++)
      for (const c of ['-', '_', ' ', '=', 'é'])
        if (text[i] !== c) {
          const bad = text.slice(0, i) + c + text.slice(i + 1);
          assert.deepEqual(fromBase64(bad), modelDecode(bad), JSON.stringify(bad));
        }
  }
});

test('fromBase64 names the edge cases of padding and length', () => {
  assert.deepEqual(fromBase64(''), new Uint8Array(0));
  assert.deepEqual(fromBase64('AQ=='), new Uint8Array([1]));
  assert.deepEqual(fromBase64('AQI='), new Uint8Array([1, 2]));
  // Bits left over by padding are ignored, as by the model.
  assert.deepEqual(fromBase64('AR=='), new Uint8Array([1]));
  for (const bad of [
    'A',
    'AQ=',
    'AQ===',
    '====',
    'A===',
    '=AAA',
    'AQ=A',
    'A=A=',
    'AQ==AQ==',
    'AQé=',
    'AQ\u0100=',
  ])
    assert.equal(fromBase64(bad), undefined, JSON.stringify(bad));
});

test('decoded payloads cut from shared blocks are independent and stay intact', () => {
  // Enough payloads to fill several blocks, small and large, all kept.
  const sources = Array.from({ length: 400 }, (_, i) =>
    Uint8Array.from({ length: 1 + ((i * 53) % 1400) }, (_, k) => (i + k * 7) & 255),
  );
  const decoded = sources.map((b) => fromBase64(toBase64(b)) as Uint8Array);
  (decoded[10] as Uint8Array).fill(0xee); // a reader writing into its own copy
  for (let i = 0; i < sources.length; i++) {
    if (i === 10) continue;
    assert.deepEqual(decoded[i], sources[i], `payload ${i}`);
  }
  assert.ok((decoded[10] as Uint8Array).every((b) => b === 0xee));
});
