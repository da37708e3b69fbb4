/**
 * The connection options every client command takes (`--url`, `--token`) and the way the
 * commands get a connected client.
 */
import type { Command } from 'commander';
import { connect } from '@clusnotify/client';
import type { Client } from '@clusnotify/client';
import { UsageError } from './usage-error.js';
import { withProgress } from './progress.js';

/** The server used when neither `--url` nor CLUSNOTIFY_URL names one. */
export const DEFAULT_URL = 'ws://127.0.0.1:7600/v1';

/** The parsed connection options of a command. */
export interface ConnectionOptions {
  /** Candidate URLs as given (each may hold several, comma-separated). */
  readonly url?: readonly string[];
  readonly token?: string;
}

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds `--url` and `--token` to `cmd`. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option(
      '--url <ws-url>',
      `server URL; repeat or comma-separate for failover candidates (default: $CLUSNOTIFY_URL or ${DEFAULT_URL})`,
      collect,
    )
    .option('--token <token>', 'access token (default: $CLUSNOTIFY_TOKEN)');
}

/** The candidate URLs of `o`: `--url`, else CLUSNOTIFY_URL, else {@link DEFAULT_URL}. */
export function candidateUrls(o: ConnectionOptions): string[] {
  const given = o.url ?? [process.env.CLUSNOTIFY_URL ?? DEFAULT_URL];
  const urls = given
    .flatMap((u) => u.split(','))
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (urls.length === 0) throw new UsageError('--url needs at least one ws:// or wss:// URL');
  for (const u of urls)
    if (!/^wss?:\/\//.test(u))
      throw new UsageError(`--url must be a ws:// or wss:// URL, got ${JSON.stringify(u)}`);
  return urls;
}

/**
 * Connects with the options of `o`, runs `fn` and closes the client whatever happens.
 *
 * @throws UsageError without a token or with a bad URL; ClusnotifyError from the client
 * (AUTH_FAILED, NO_SERVER, the call's failure code), which `main` prints and maps to exit 1.
 */
export async function withClient<T>(
  o: ConnectionOptions,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const urls = candidateUrls(o);
  const token = o.token ?? process.env.CLUSNOTIFY_TOKEN;
  if (token === undefined || token === '')
    throw new UsageError('a token is required: --token <token> or CLUSNOTIFY_TOKEN');
  const client = await withProgress('connecting', () =>
    connect(urls, {
      token,
      clientName: 'clusnotify-cli/0.1.0',
      connectTimeoutMs: 5_000,
      callTimeoutMs: 15_000,
    }),
  );
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
