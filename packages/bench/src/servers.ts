/**
 * Starting the four servers on loopback: free ports chosen at run time (never the default
 * ports: other etcd instances may run on this machine), a temp data dir each, readiness taken
 * from the server's own log line, memory read from /proc. Debian's packages are installed when a
 * binary is missing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, stopChild, track, trackDir } from './processes.js';
import type { Endpoint, SystemName } from './systems.js';

/** A server process started by the benchmark. */
export interface RunningServer {
  readonly endpoint: Endpoint;
  readonly pid: number;
  /** Resident memory of the server process (`VmRSS`), KiB. */
  rssKiB(): number;
  stop(): Promise<void>;
}

const BINARIES = {
  etcd: { path: '/usr/bin/etcd', pkg: 'etcd-server' },
  redis: { path: '/usr/bin/redis-server', pkg: 'redis-server' },
  nats: { path: '/usr/sbin/nats-server', pkg: 'nats-server' },
} as const;

const CLI_MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL('./floor-server.js', import.meta.url));
const CLI_BIN = fileURLToPath(new URL('../../../cli/bin/clusnotify.js', import.meta.url));
/** The node flags the `clusnotify` bin runs with (its shebang): the server runs as users run it. */
const SERVE_NODE_ARGS = (
  /^#!\/usr\/bin\/env -S node(.*)$/m.exec(readFileSync(CLI_BIN, 'utf8'))?.[1] ?? ''
)
  .split(' ')
  .filter(Boolean);

/** Installs Debian's etcd-server, redis-server and nats-server when a binary is missing. */
export function ensureInstalled(systems: readonly SystemName[]): void {
  const missing = Object.entries(BINARIES)
    .filter(([name, b]) => systems.includes(name as SystemName) && !existsSync(b.path))
    .map(([, b]) => b.pkg);
  if (missing.length === 0) return;
  process.stderr.write(`bench:peers: installing ${missing.join(', ')} with apt-get\n`);
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  // Debian starts the services it installs, on their default ports; the benchmark runs its own.
  for (const unit of ['etcd', 'redis-server', 'nats-server']) {
    try {
      execFileSync('systemctl', ['disable', '--now', unit], { stdio: 'ignore' });
    } catch {
      // no systemd here (a container): nothing was started
    }
  }
}

/** The version line each server prints (for the report). */
export function serverVersion(system: 'etcd' | 'redis' | 'nats'): string {
  const b = BINARIES[system];
  const out = execFileSync(b.path, ['--version'], { encoding: 'utf8' });
  const m =
    system === 'etcd'
      ? /etcd Version: (\S+)/.exec(out)
      : system === 'redis'
        ? /v=(\S+)/.exec(out)
        : /v(\d\S*)/.exec(out);
  return m?.[1] ?? out.trim();
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** VmRSS of `pid` in KiB (NaN when it is gone). */
export function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** The lowest VmRSS of `pid` (KiB) sampled every 250 ms over `ms`: what the process keeps. */
export async function lowestRssKiB(pid: number, ms: number): Promise<number> {
  let low = rssKiB(pid);
  for (let t = 0; t < ms; t += 250) {
    await new Promise((r) => setTimeout(r, 250));
    low = Math.min(low, rssKiB(pid));
  }
  return low;
}

/**
 * CPU time `pid` has used so far (user + system), in seconds; NaN when it is gone. Linux's
 * clock tick is 100 Hz on every architecture Node runs on.
 */
export function cpuSeconds(pid: number): number {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Resolves readiness from the accumulated stdout + stderr; the string is handed back. */
  readonly ready: RegExp;
  readonly timeoutMs?: number;
}

async function spawnServer(
  spec: SpawnSpec,
  dir: string,
): Promise<{ pid: number; log: () => string; stop: () => Promise<void> }> {
  const child = track(
    spawn(spec.command, [...spec.args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir }),
  );
  let log = '';
  const onData = (d: Buffer): void => {
    // Keep the start of the log (banner, readiness) and not much more.
    if (log.length < 64 * 1024) log += d.toString('utf8');
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${spec.command} not ready after ${spec.timeoutMs ?? 20_000} ms`)),
        spec.timeoutMs ?? 20_000,
      );
      const check = (): void => {
        if (spec.ready.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`${spec.command} exited (${String(code ?? sig)}) before ready:\n${log}`));
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  child.removeAllListeners('exit');
  track(child);
  return {
    pid: child.pid ?? -1,
    log: () => log,
    stop: () => stopChild(child),
  };
}

/**
 * Starts `floor-server.js` with the node flags of the `clusnotify` bin: `net` or `ws` hold idle
 * connections (the memory a Node server spends per connection before any of clusnotify's own),
 * `net-relay` or `ws-relay` relay a writer's calls to readers in frames of `frameBytes`.
 */
export async function startFloorServer(
  kind: 'net' | 'ws' | 'net-relay' | 'ws-relay' | 'ws-pubsub',
  frameBytes = 1000,
): Promise<{ pid: number; port: number; stop: () => Promise<void> }> {
  const dir = trackDir(mkdtempSync(join(tmpdir(), `bench-floor-${kind}-`)));
  const proc = await spawnServer(
    {
      command: process.execPath,
      args: [...SERVE_NODE_ARGS, FLOOR_SERVER, kind, String(frameBytes)],
      ready: /listening \d+/,
    },
    dir,
  );
  const port = Number(/listening (\d+)/.exec(proc.log())?.[1]);
  return {
    pid: proc.pid,
    port,
    stop: async () => {
      await proc.stop();
      removeDir(dir);
    },
  };
}

/**
 * Starts the server of `system` on loopback with a fresh temp data dir. A clusnotify server (and
 * the `node-relay` floor) runs with the flags of the `clusnotify` bin, then `nodeArgs` (later
 * flags win).
 */
export async function startServer(
  system: SystemName,
  nodeArgs: readonly string[] = [],
): Promise<RunningServer> {
  const dir = trackDir(mkdtempSync(join(tmpdir(), `bench-peers-${system}-`)));
  let endpoint: Endpoint;
  let proc: Awaited<ReturnType<typeof spawnServer>>;
  try {
    switch (system) {
      case 'clusnotify':
      case 'clusnotify-sqlite': {
        proc = await spawnServer(
          {
            command: process.execPath,
            args: [
              ...SERVE_NODE_ARGS,
              ...nodeArgs,
              CLI_MAIN,
              'serve',
              '--data',
              join(dir, 'data'),
              '--host',
              '127.0.0.1',
              '--port',
              '0',
              '--store',
              system === 'clusnotify' ? 'memory' : 'sqlite',
              '--log-level',
              'error',
              // 1,000 watchers + the writer: above the default of 1,024 sessions with room.
              '--max-sessions',
              '4096',
            ],
            ready: /health: /,
          },
          dir,
        );
        const log = proc.log();
        const url = /at (ws:\/\/\S+)/.exec(log)?.[1];
        const token = /(cn_f_\S+)/.exec(log)?.[1];
        if (url === undefined || token === undefined)
          throw new Error(`no URL or token in the banner:\n${log}`);
        endpoint = { system, url, token };
        break;
      }
      case 'node-relay': {
        proc = await spawnServer(
          {
            command: process.execPath,
            args: [...SERVE_NODE_ARGS, ...nodeArgs, FLOOR_SERVER, 'ws-pubsub'],
            ready: /listening \d+/,
          },
          dir,
        );
        endpoint = { system, url: `ws://127.0.0.1:${/listening (\d+)/.exec(proc.log())?.[1]}` };
        break;
      }
      case 'etcd': {
        const client = await freePort();
        const peer = await freePort();
        proc = await spawnServer(
          {
            command: BINARIES.etcd.path,
            args: [
              '--name',
              'bench',
              '--data-dir',
              join(dir, 'etcd'),
              '--listen-client-urls',
              `http://127.0.0.1:${client}`,
              '--advertise-client-urls',
              `http://127.0.0.1:${client}`,
              '--listen-peer-urls',
              `http://127.0.0.1:${peer}`,
              '--initial-advertise-peer-urls',
              `http://127.0.0.1:${peer}`,
              '--initial-cluster',
              `bench=http://127.0.0.1:${peer}`,
              '--initial-cluster-state',
              'new',
              '--logger',
              'zap',
            ],
            ready: /serving client traffic|ready to serve client requests/,
          },
          dir,
        );
        endpoint = { system, url: `http://127.0.0.1:${client}` };
        break;
      }
      case 'redis': {
        const port = await freePort();
        proc = await spawnServer(
          {
            command: BINARIES.redis.path,
            args: [
              '--port',
              String(port),
              '--bind',
              '127.0.0.1',
              '--save',
              '',
              '--appendonly',
              'no',
              '--dir',
              dir,
              '--daemonize',
              'no',
            ],
            ready: /Ready to accept connections/,
          },
          dir,
        );
        endpoint = { system, url: `redis://127.0.0.1:${port}` };
        break;
      }
      case 'nats': {
        const port = await freePort();
        proc = await spawnServer(
          {
            command: BINARIES.nats.path,
            args: ['-a', '127.0.0.1', '-p', String(port)],
            ready: /Server is ready/,
          },
          dir,
        );
        endpoint = { system, url: `127.0.0.1:${port}` };
        break;
      }
    }
  } catch (e) {
    removeDir(dir);
    throw e;
  }
  const p = proc;
  return {
    endpoint,
    pid: p.pid,
    rssKiB: () => rssKiB(p.pid),
    async stop() {
      await p.stop();
      removeDir(dir);
    },
  };
}
