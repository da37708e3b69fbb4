/**
 * Access tokens: random secrets, each granting `read` or `full` access. Only a SHA-256 hash of
 * each token is kept; the secret is shown once, when it is created. A file-backed store keeps
 * them in the data directory (mode 0600) and notices when another process (`clusnotify token
 * create|revoke`) changed the file, so a running server honours new and revoked tokens at once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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
  /**
   * Removes the token with this id; false when there is none. Connections that already
   * authenticated with it keep their session (D29); new ones are refused.
   */
  revoke(id: string): boolean;
}

const hash = (secret: string): Buffer => createHash('sha256').update(secret).digest();

class Tokens implements TokenStore {
  constructor(
    private records: TokenRecord[],
    private readonly save: (records: readonly TokenRecord[]) => void,
    /** The records as stored now, when they changed behind this store's back. */
    private readonly reload: () => TokenRecord[] | undefined = () => undefined,
  ) {}

  private fresh(): TokenRecord[] {
    const r = this.reload();
    if (r !== undefined) this.records = r;
    return this.records;
  }

  create(access: AccessLevel): string {
    this.fresh();
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
    for (const r of this.fresh()) {
      const stored = Buffer.from(r.hash, 'hex');
      if (stored.length === h.length && timingSafeEqual(stored, h)) return r.access;
    }
    return undefined;
  }

  list(): readonly TokenRecord[] {
    return this.fresh();
  }

  revoke(id: string): boolean {
    const kept = this.fresh().filter((r) => r.id !== id);
    if (kept.length === this.records.length) return false;
    this.records = kept;
    this.save(kept);
    return true;
  }
}

/** Tokens kept in memory only (tests, embedding). */
export function createTokenStore(): TokenStore {
  return new Tokens([], () => undefined);
}

/**
 * Tokens kept in `path` (JSON, mode 0600, replaced atomically on every change). The file is read
 * again whenever it changed since it was last read (its modification time or size), so tokens
 * created or revoked by another process count at once.
 */
export function openTokenFile(path: string): TokenStore {
  let seen = '';
  const version = (): string => {
    try {
      const st = statSync(path);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw e;
    }
  };
  const read = (): TokenRecord[] => {
    seen = version();
    if (seen === 'absent') return [];
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { tokens?: TokenRecord[] };
    return Array.isArray(parsed.tokens) ? parsed.tokens : [];
  };
  return new Tokens(
    read(),
    (all) => {
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, JSON.stringify({ tokens: all }, null, 2), { mode: 0o600 });
      renameSync(tmp, path);
      seen = version();
    },
    () => {
      if (version() === seen) return undefined;
      try {
        return read();
      } catch {
        // A file another process broke: keep the tokens known so far rather than fail hellos.
        return undefined;
      }
    },
  );
}
