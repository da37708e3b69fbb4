/**
 * Every process the benchmark starts is registered here and stopped on every way out: normal
 * end, a thrown error, Ctrl-C (SIGINT), SIGTERM, SIGHUP. Temp dirs are removed the same way.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

/** Registers `child` (forgotten again once it exits). */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Registers a temp dir to remove on the way out. */
export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** Removes a tracked temp dir now. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/**
 * Stops `child`: SIGCONT first (a stopped process cannot act on SIGTERM), SIGTERM, then
 * SIGKILL after `graceMs`. Resolves once it has exited.
 */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every tracked process (in parallel) and removes the temp dirs. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
  for (const d of dirs) removeDir(d);
}

function killNow(): void {
  for (const c of children) {
    c.kill('SIGCONT');
    c.kill('SIGKILL');
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;

/**
 * Installs the handlers: on SIGINT / SIGTERM / SIGHUP stop everything and exit with 128 + the
 * signal number; on process exit (including after an uncaught error) SIGKILL whatever is left.
 */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  const codes = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
  for (const [sig, n] of Object.entries(codes)) {
    process.once(sig, () => {
      process.stderr.write(`\nbench:peers: ${sig}, stopping every process it started\n`);
      const force = setTimeout(() => {
        killNow();
        process.exit(128 + n);
      }, 5000);
      void stopAll().finally(() => {
        clearTimeout(force);
        process.exit(128 + n);
      });
    });
  }
  process.once('exit', killNow);
}
