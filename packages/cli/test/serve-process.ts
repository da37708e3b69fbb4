/** Starts and stops real `clusnotify serve` processes for the tests. */
import { after } from 'node:test';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's entry point (built). */
export const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

/** Every server a test started, so that a failing test still stops them. */
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A running `clusnotify serve`. */
export interface Running {
  readonly child: ChildProcess;
  /** ws://…/v1 */
  readonly url: string;
  /** http://host:port */
  readonly http: string;
  /** The full token the banner printed (first start only). */
  readonly token: string | undefined;
  readonly banner: string;
}

/** Starts `clusnotify serve` on a free port with its data in `data` and waits for its banner. */
export async function startServe(data: string, extra: readonly string[] = []): Promise<Running> {
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--data', data, '--port', '0', '--log-level', 'warn', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  child.stdout?.setEncoding('utf8');
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 10_000);
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('health:')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${String(code)}: ${out}`)));
  });
  const url = /at (ws:\/\/\S+)/.exec(banner)?.[1] ?? '';
  return {
    child,
    url,
    http: url.replace('ws://', 'http://').replace('/v1', ''),
    token: /(cn_f_\S+)/.exec(banner)?.[1],
    banner,
  };
}

/** Signals the server and resolves with its exit code. */
export function stopServe(r: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    if (r.child.exitCode !== null || r.child.signalCode !== null) {
      resolve(r.child.exitCode);
      return;
    }
    r.child.once('exit', (code) => resolve(code));
    r.child.kill(signal);
  });
}
