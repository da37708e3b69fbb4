import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link startLocalEtcd}. */
export interface LocalEtcdOptions {
  /** Members of the etcd cluster, each its own process on loopback (default 1). */
  readonly members?: number;
  /** The etcd binary (default `$ETCD_BIN`, else `etcd` on the PATH). */
  readonly binary?: string;
  /** etcd's `--max-txn-ops` (default 10,000, so that group commits can be large). */
  readonly maxTxnOps?: number;
  /** etcd's `--max-request-bytes` (default 40 MiB, room for a `MAX_COMMIT_BYTES` commit). */
  readonly maxRequestBytes?: number;
  /** How long to wait for every member to report healthy (default 20,000 ms). */
  readonly startTimeoutMs?: number;
}

/** One member of a {@link LocalEtcd}. */
export interface LocalEtcdMember {
  readonly name: string;
  /** Its client URL, `http://127.0.0.1:PORT`. */
  readonly clientUrl: string;
  /** Its OS process id while it runs. */
  readonly pid: number | undefined;
  /** Kills the member with SIGKILL and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a killed member again on its data and ports; resolves once it is healthy. */
  restart(): Promise<void>;
}

/** A running etcd cluster on loopback, in a temporary data directory. */
export interface LocalEtcd {
  /** Client URLs of every member. */
  readonly urls: readonly string[];
  readonly members: readonly LocalEtcdMember[];
  /** Stops every member (SIGTERM, then SIGKILL after 5 s) and removes the data directory. */
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await response.json()) as { health?: unknown };
    return body.health === 'true';
  } catch {
    return false;
  }
}

/**
 * Starts etcd (the `etcd` binary, e.g. Debian's `etcd-server`) on loopback with ports chosen at
 * run time and a temporary data directory, and waits until every member is healthy. For tests,
 * benchmarks and trying clusnotify out; production etcd is the operator's. Rejects when the
 * binary is missing or a member does not become healthy in time (everything started is
 * stopped again). Call `stop()` when done, also on failure.
 */
export async function startLocalEtcd(options: LocalEtcdOptions = {}): Promise<LocalEtcd> {
  const count = options.members ?? 1;
  const binary = options.binary ?? process.env['ETCD_BIN'] ?? 'etcd';
  const dir = await mkdtemp(join(tmpdir(), 'clusnotify-etcd-'));
  const ports = await Promise.all(Array.from({ length: count * 2 }, () => freePort()));
  const names = Array.from({ length: count }, (_, i) => `m${i + 1}`);
  const peer = (i: number): string => `http://127.0.0.1:${ports[2 * i + 1] ?? 0}`;
  const client = (i: number): string => `http://127.0.0.1:${ports[2 * i] ?? 0}`;
  const initialCluster = names.map((n, i) => `${n}=${peer(i)}`).join(',');
  const children: (ChildProcess | undefined)[] = [];
  const output: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(async (child) => {
        if (child !== undefined && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited(child);
          clearTimeout(timer);
        }
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  const launch = async (i: number): Promise<ChildProcess> => {
    const name = names[i] ?? '';
    const child = spawn(
      binary,
      [
        `--name=${name}`,
        `--data-dir=${join(dir, name)}`,
        `--listen-client-urls=${client(i)}`,
        `--advertise-client-urls=${client(i)}`,
        `--listen-peer-urls=${peer(i)}`,
        `--initial-advertise-peer-urls=${peer(i)}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=clusnotify-${process.pid}-${ports[0] ?? 0}`,
        `--max-txn-ops=${options.maxTxnOps ?? 10_000}`,
        `--max-request-bytes=${options.maxRequestBytes ?? 40 * 1024 * 1024}`,
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      if (output.length < 50) output.push(text);
    });
    children[i] = child;
    const failed = await new Promise<Error | undefined>((resolve) => {
      child.once('error', resolve);
      child.once('spawn', () => resolve(undefined));
    });
    if (failed !== undefined)
      throw new Error(
        `cannot start ${binary}: ${failed.message} (install Debian's etcd-server, or set ETCD_BIN)`,
      );
    return child;
  };
  const waitHealthy = async (i: number, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await healthy(client(i)))) {
      const child = children[i];
      if (child !== undefined && (child.exitCode !== null || child.signalCode !== null))
        throw new Error(`etcd member ${names[i] ?? ''} exited: ${output.join('').slice(-2000)}`);
      if (Date.now() > deadline)
        throw new Error(`etcd did not become healthy in time: ${output.join('').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    for (const i of names.keys()) await launch(i);
    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    for (const i of names.keys()) await waitHealthy(i, deadline - Date.now());
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: names.map((_, i) => client(i)),
    members: names.map((name, i) => ({
      name,
      clientUrl: client(i),
      get pid() {
        return children[i]?.pid;
      },
      async kill() {
        const child = children[i];
        if (child === undefined) return;
        child.kill('SIGKILL');
        await exited(child);
      },
      async restart() {
        const child = children[i];
        if (child !== undefined && child.exitCode === null && child.signalCode === null)
          throw new Error(`etcd member ${name} is running`);
        await launch(i);
        await waitHealthy(i, options.startTimeoutMs ?? 20_000);
      },
    })),
    stop,
  };
}
