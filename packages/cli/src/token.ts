/** `clusnotify token create --read|--full`: adds a token to a data directory's token file. */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
