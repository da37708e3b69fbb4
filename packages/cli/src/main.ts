#!/usr/bin/env node
/**
 * The `clusnotify` command line. Exit status: 0 on success, 2 on bad usage, otherwise 1 (the
 * error code is printed on stderr).
 */
import { Command, InvalidArgumentError } from 'commander';
import { serve } from './serve.js';
import { createToken, listTokens, revokeToken } from './token.js';
import { addConnectionOptions, withClient } from './connection.js';
import type { ConnectionOptions } from './connection.js';
import { addObjectCommands } from './object-commands.js';
import { status } from './status.js';
import { UsageError } from './usage-error.js';
import { watch } from './watch.js';
import type { WatchOptions } from './watch.js';

const DEFAULT_DATA = process.env.CLUSNOTIFY_DATA ?? './clusnotify-data';

function int(what: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}`);
    return n;
  };
}

const program = new Command();
program
  .name('clusnotify')
  .description('Failover Cluster notification ports (ClusAPI / MS-CMRP) for Node.js')
  .version('0.1.0');
// Before the subcommands: they copy this setting when created.
program.exitOverride();

program
  .command('serve')
  .description(
    'serve a one-node cluster on the embedded store (creates the default cluster on first start)',
  )
  .option('--data <dir>', 'data directory (store and tokens)', DEFAULT_DATA)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--port <port>', 'TCP port (0 picks one)', int('port', 0, 65535), 7600)
  .option('--demo', 'drive a realistic workload', false)
  .option('--demo-rate <n>', 'demo commands per second', int('demo rate', 1, 100000), 5)
  .option('--tls-cert <file>', 'serve wss:// with this certificate (PEM)')
  .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
  .option('--max-sessions <n>', 'sessions at most', int('max sessions', 1, 1_000_000))
  .option(
    '--max-connections-per-ip <n>',
    'connections from one IP address at most (default: no limit)',
    int('max connections per ip', 1, 1_000_000),
  )
  .option(
    '--max-queued <n>',
    'indications queued per port at most',
    int('max queued', 1, 10_000_000),
  )
  .option(
    '--retain-commits <n>',
    'commits of history kept for resume (default 1000000)',
    int('retain commits', 1, 1_000_000_000),
  )
  .option(
    '--retain-mib <n>',
    'memory store: MiB of history kept for resume at most (default 256)',
    int('retain MiB', 1, 1_048_576),
  )
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
  .option('--no-dashboard', 'do not serve the web dashboard at /')
  .option(
    '--store <kind>',
    'sqlite (durable) or memory (nothing kept)',
    (v: string): 'sqlite' | 'memory' => {
      if (v !== 'sqlite' && v !== 'memory')
        throw new InvalidArgumentError('store must be sqlite or memory');
      return v;
    },
    'sqlite' as 'sqlite' | 'memory',
  )
  .option(
    '--etcd <urls>',
    'join a cluster of daemons sharing this etcd (client URLs, comma-separated or repeated)',
    collect,
  )
  .option('--node-name <name>', 'with --etcd: the cluster node this daemon runs')
  .option(
    '--etcd-prefix <prefix>',
    'with --etcd: key prefix of the cluster in etcd',
    '/clusnotify/',
  )
  .option(
    '--lease-ttl <s>',
    "with --etcd: seconds after which a dead daemon's node goes down",
    int('lease ttl', 1, 3600),
    3,
  )
  .action(
    async (
      o: {
        etcd?: string[];
        nodeName?: string;
        etcdPrefix: string;
        leaseTtl: number;
        store: 'sqlite' | 'memory';
        data: string;
        host: string;
        port: number;
        demo: boolean;
        demoRate: number;
        tlsCert?: string;
        tlsKey?: string;
        logLevel: string;
        maxSessions?: number;
        maxConnectionsPerIp?: number;
        maxQueued?: number;
        retainCommits?: number;
        retainMib?: number;
        dashboard: boolean;
      },
      cmd: Command,
    ) => {
      if ((o.etcd === undefined) !== (o.nodeName === undefined))
        throw new UsageError('--etcd and --node-name go together');
      // Options that would be ignored are refused rather than silently dropped.
      const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
      if (o.etcd !== undefined && given('store'))
        throw new UsageError('--store does not go with --etcd (the cluster is kept in etcd)');
      if (o.etcd === undefined && (given('etcdPrefix') || given('leaseTtl')))
        throw new UsageError('--etcd-prefix and --lease-ttl go with --etcd');
      if (o.retainMib !== undefined && (o.etcd !== undefined || o.store !== 'memory'))
        throw new UsageError('--retain-mib goes with --store memory');
      const { etcd, nodeName, ...rest } = o;
      await serve({
        ...rest,
        ...(etcd !== undefined && nodeName !== undefined
          ? { etcd: etcd.flatMap((u) => u.split(',')).filter((u) => u !== ''), nodeName }
          : {}),
      });
    },
  );

const token = program.command('token').description('manage access tokens of a data directory');
token
  .command('create')
  .description('create a token and print it (shown once)')
  .option('--read', 'read access: watch only')
  .option('--full', 'full access: watch and change')
  .option('--data <dir>', 'data directory', DEFAULT_DATA)
  .action((o: { read?: boolean; full?: boolean; data: string }) => {
    if (o.read === o.full) throw new UsageError('give exactly one of --read or --full');
    process.stdout.write(`${createToken(o.data, o.full === true ? 'full' : 'read')}\n`);
  });
token
  .command('list')
  .description('list the tokens (not their secrets)')
  .option('--data <dir>', 'data directory', DEFAULT_DATA)
  .action((o: { data: string }) => {
    for (const t of listTokens(o.data))
      process.stdout.write(`${t.id}  ${t.access.padEnd(4)}  ${t.created}\n`);
  });
token
  .command('revoke')
  .description(
    'revoke a token by its id (see token list); a running serve refuses it at once and ends the sessions open with it',
  )
  .argument('<id>', 'the token id')
  .option('--data <dir>', 'data directory', DEFAULT_DATA)
  .action((id: string, o: { data: string }) => {
    revokeToken(o.data, id);
    process.stdout.write(`revoked ${id}\n`);
  });

addConnectionOptions(
  program
    .command('status')
    .description('the cluster at a glance: nodes, groups, resources and server figures'),
)
  .option('--json', 'print the raw cluster state and server info as JSON')
  .action(async (o: ConnectionOptions & { json?: boolean }) => {
    await withClient(o, (client) => status(client, o));
  });

function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

addConnectionOptions(
  program
    .command('watch')
    .description('open a notification port and print its indications until Ctrl-C'),
)
  .option('--v1', 'a version-1 port (default: version 2)')
  .option(
    '--class <type>',
    'watch a class: node, group, resource, restype, network, netinterface, registry, quorum or cluster (repeatable; default: all)',
    collect,
  )
  .option('--object <type>:<name>', 'watch one object (repeatable)', collect)
  .option('--key <path>', 'watch a cluster-database key')
  .option('--subtree', 'with --key: the whole subtree')
  .option('--json', 'one JSON object per indication')
  .option(
    '--since <revision>',
    'first replay what happened after this store revision',
    int('revision', 0, Number.MAX_SAFE_INTEGER),
  )
  .option('--count <n>', 'exit after n indications', int('count', 1, Number.MAX_SAFE_INTEGER))
  .action(async (o: ConnectionOptions & WatchOptions) => {
    await withClient(o, (client) => watch(client, o));
  });

addObjectCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as { code?: string; exitCode?: number; message?: string };
  if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
    // commander has printed its own message.
    process.exitCode =
      err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  } else if (e instanceof UsageError) {
    process.stderr.write(`clusnotify: USAGE: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`clusnotify: ${err.code ?? 'ERROR'}: ${err.message ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
