import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ClusnotifyError,
  ERROR_CATALOGUE,
  ErrorCode,
  Win32Status,
  failure,
  renderErrorCatalogue,
} from '@clusnotify/protocol';

test('every error code maps to a defined protocol status', () => {
  const statuses = new Set<number>(Object.values(Win32Status));
  for (const [code, info] of Object.entries(ERROR_CATALOGUE)) {
    assert.ok(statuses.has(info.status), `${code} has status 0x${info.status.toString(16)}`);
    assert.ok(info.meaning.length > 0 && info.fix.length > 0, code);
    assert.equal(ErrorCode[code as ErrorCode], code);
  }
});

test('failures and errors carry the catalogue status for their code', () => {
  assert.deepEqual(failure('PORT_NOT_FOUND', 'gone'), {
    type: 'error',
    status: 6,
    code: 'PORT_NOT_FOUND',
    message: 'gone',
  });
  const e = ClusnotifyError.from(failure('CLIENT_ONLY_BITS', 'no'));
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'CLIENT_ONLY_BITS');
  assert.equal(e.status, 0x57);
  assert.equal(e.name, 'ClusnotifyError');
});

test('docs/errors.md is the rendering of the catalogue (run npm run docs:errors after a change)', () => {
  const page = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(page, renderErrorCatalogue());
});
