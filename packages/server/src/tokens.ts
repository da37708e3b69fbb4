/**
 * Access tokens: random secrets, each granting `read` or `full` access. Only a SHA-256 hash of
 * each token is kept; the secret is shown once, when it is created. A file-backed store keeps
 * them in the data directory (mode 0600).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AccessLevel } from './session.js';

/** A stored token (never the secret itself). */
export interface TokenRecord {
  readonly id: string;
  readonly hash: string;
  readonly access: AccessLevel;
  readonly created: string;
}

/** Where tokens live. */
export interface TokenStore {
  /** Creates a token and returns its secret (shown once). */
  create(access: AccessLevel): string;
  /** The access a presented secret grants, or undefined. */
  check(secret: string): AccessLevel | undefined;
  /** Every token record. */
  list(): readonly TokenRecord[];
}

const hash = (secret: string): Buffer => createHash('sha256').update(secret).digest();

class Tokens implements TokenStore {
  constructor(
    private records: TokenRecord[],
    private readonly save: (records: readonly TokenRecord[]) => void,
  ) {}

  create(access: AccessLevel): string {
    const secret = `cn_${access === 'full' ? 'f' : 'r'}_${randomBytes(24).toString('base64url')}`;
    const record: TokenRecord = {
      id: randomBytes(6).toString('hex'),
      hash: hash(secret).toString('hex'),
      access,
      created: new Date().toISOString(),
    };
    this.records = [...this.records, record];
    this.save(this.records);
    return secret;
  }

  check(secret: string): AccessLevel | undefined {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 4096) return undefined;
    const h = hash(secret);
    for (const r of this.records) {
      const stored = Buffer.from(r.hash, 'hex');
      if (stored.length === h.length && timingSafeEqual(stored, h)) return r.access;
    }
    return undefined;
  }

  list(): readonly TokenRecord[] {
    return this.records;
  }
}

/** Tokens kept in memory only (tests, embedding). */
export function createTokenStore(): TokenStore {
  return new Tokens([], () => undefined);
}

/** Tokens kept in `path` (JSON, mode 0600, replaced atomically on every change). */
export function openTokenFile(path: string): TokenStore {
  let records: TokenRecord[] = [];
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { tokens?: TokenRecord[] };
    records = Array.isArray(parsed.tokens) ? parsed.tokens : [];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return new Tokens(records, (all) => {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ tokens: all }, null, 2), { mode: 0o600 });
    renameSync(tmp, path);
  });
}
