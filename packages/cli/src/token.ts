/**
 * `clusnotify token create --read|--full`, `list` and `revoke ID`: the token file of a data
 * directory. A running `serve` on that directory honours the change at once.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClusnotifyError } from '@clusnotify/protocol';
import { openTokenFile } from '@clusnotify/server';

/** Creates a token and returns its secret. */
export function createToken(data: string, access: 'read' | 'full'): string {
  const dir = resolve(data);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return openTokenFile(join(dir, 'tokens.json')).create(access);
}

/** The tokens of a data directory (never their secrets). */
export function listTokens(
  data: string,
): readonly { id: string; access: string; created: string }[] {
  return openTokenFile(join(resolve(data), 'tokens.json')).list();
}

/**
 * Revokes the token `id` of a data directory: a `serve` running on it refuses new connections
 * with the token at once and, within about a second (it polls the token file), ends the
 * sessions already open with it (AUTH_FAILED, close 4001; decisions D42).
 *
 * @throws ClusnotifyError TOKEN_NOT_FOUND when no token has that id.
 */
export function revokeToken(data: string, id: string): void {
  if (!openTokenFile(join(resolve(data), 'tokens.json')).revoke(id))
    throw new ClusnotifyError('TOKEN_NOT_FOUND', `no token has the id ${JSON.stringify(id)}`);
}
