/**
 * Access tokens: random secrets, each granting `read` or `full` access. Only a SHA-256 hash of
 * each token is kept; the secret is shown once, when it is created. A file-backed store keeps
 * them in the data directory (mode 0600) and notices when another process (`clusnotify token
 * create|revoke`) changed the file, so a running server honours new and revoked tokens at once,
 * and ends the sessions of a revoked one (decisions D29, D42).
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
  /** The record of the token a presented secret is, or undefined (unknown or revoked). */
  identify(secret: string): TokenRecord | undefined;
  /** Every token record. */
  list(): readonly TokenRecord[];
  /**
   * Removes the token with this id; false when there is none. New connections with it are
   * refused, and {@link onRevoked} listeners hear of it, so that a server ends the sessions
   * that authenticated with it (D42).
   */
  revoke(id: string): boolean;
  /**
   * Calls `listener` with the ids of tokens that stopped being valid: revoked through this
   * store, or gone from the token file when another process (`clusnotify token revoke`) changed
   * it — noticed when the store next reads the file (every check) and, while a listener is
   * registered, by watching the file (see {@link openTokenFile}). A token whose record was
   * replaced by one of the same id and another secret counts as gone. Returns a function that
   * removes the listener; the last one removed stops the watching. A listener that throws does
   * not disturb the store or the other listeners.
   */
  onRevoked(listener: (ids: readonly string[]) => void): () => void;
}

const hash = (secret: string): Buffer => createHash('sha256').update(secret).digest();

class Tokens implements TokenStore {
  private readonly listeners = new Set<(ids: readonly string[]) => void>();
  private unwatch: (() => void) | undefined;

  constructor(
    private records: TokenRecord[],
    private readonly save: (records: readonly TokenRecord[]) => void,
    /** The records as stored now, when they changed behind this store's back. */
    private readonly reload: () => TokenRecord[] | undefined = () => undefined,
    /** Starts calling `changed` when the stored records may have changed; returns the stop. */
    private readonly watch?: (changed: () => void) => () => void,
  ) {}

  private fresh(): TokenRecord[] {
    const r = this.reload();
    if (r !== undefined) this.replace(r);
    return this.records;
  }

  /** Takes `next` as the records and tells the listeners which tokens it no longer holds. */
  private replace(next: TokenRecord[]): void {
    const before = this.records;
    this.records = next;
    if (this.listeners.size === 0) return;
    const kept = new Set(next.map((r) => `${r.id}:${r.hash}`));
    const gone = before.filter((r) => !kept.has(`${r.id}:${r.hash}`)).map((r) => r.id);
    if (gone.length === 0) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(gone);
      } catch {
        // A listener's failure is its own business.
      }
    }
  }

  onRevoked(listener: (ids: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1 && this.watch !== undefined)
      this.unwatch = this.watch(() => {
        try {
          this.fresh();
        } catch {
          // The file cannot be read now (its status cannot be read): the next check tries again.
        }
      });
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      this.unwatch?.();
      this.unwatch = undefined;
    };
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
    const next = [...this.records, record];
    this.save(next);
    this.replace(next);
    return secret;
  }

  check(secret: string): AccessLevel | undefined {
    return this.identify(secret)?.access;
  }

  identify(secret: string): TokenRecord | undefined {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 4096) return undefined;
    const h = hash(secret);
    for (const r of this.fresh()) {
      const stored = Buffer.from(r.hash, 'hex');
      if (stored.length === h.length && timingSafeEqual(stored, h)) return r;
    }
    return undefined;
  }

  list(): readonly TokenRecord[] {
    return this.fresh();
  }

  revoke(id: string): boolean {
    const kept = this.fresh().filter((r) => r.id !== id);
    if (kept.length === this.records.length) return false;
    this.save(kept);
    this.replace(kept);
    return true;
  }
}

/** Tokens kept in memory only (tests, embedding). */
export function createTokenStore(): TokenStore {
  return new Tokens([], () => undefined);
}

/** Options of {@link openTokenFile}. */
export interface TokenFileOptions {
  /**
   * While someone listens for revocations ({@link TokenStore.onRevoked}), how often the file's
   * status is polled for changes by another process (default 1000 ms). Polling the path, not
   * an inotify-style watch: the file is replaced by a rename on every change, which a watch on
   * the old file would miss, and a watch on the data directory would wake on every store write.
   */
  readonly watchIntervalMs?: number;
}

/**
 * Tokens kept in `path` (JSON, mode 0600, replaced atomically on every change). The file is read
 * again whenever it changed since it was last read (its modification time or size), so tokens
 * created or revoked by another process count at once for new connections; while a listener
 * is registered with {@link TokenStore.onRevoked} the file is also polled, so that a revocation
 * is heard within about `watchIntervalMs` even when no one connects. The poll does not keep the
 * process alive.
 */
export function openTokenFile(path: string, options: TokenFileOptions = {}): TokenStore {
  const interval = options.watchIntervalMs ?? 1000;
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
    (changed) => {
      // A timer and the store's own status check, not fs.watchFile: that one's first status is
      // read on the thread pool, and a change made before it is read is never reported.
      const timer = setInterval(changed, interval);
      timer.unref();
      return () => {
        clearInterval(timer);
      };
    },
  );
}
