/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) against a
 * real `clusnotify serve`: token entry, the overview, a failover through the CLI, actions with
 * confirmation, a read token without actions, and responsiveness under the demo workload.
 * Screenshots and the Chrome trace go to artifacts/ at the repository root.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { MAIN, startServe, stopServe } from './serve-process.js';
import type { Running } from './serve-process.js';

const ARTIFACTS = fileURLToPath(new URL('../../../../artifacts/', import.meta.url));
const CHROMIUM = process.env.CLUSNOTIFY_CHROMIUM ?? '/usr/bin/chromium';

let browser: Browser;
const dirs: string[] = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'clusnotify-web-'));
  dirs.push(d);
  return d;
}

/** Runs the CLI against `r`; resolves with its stdout once it exits, and when "ok" was printed. */
function cli(
  r: Running,
  token: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; okAt: number }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN, ...args, '--url', r.url, '--token', token], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLUSNOTIFY_URL: '', CLUSNOTIFY_TOKEN: '' },
    });
    let stdout = '';
    let okAt = 0;
    c.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (okAt === 0 && stdout.includes('ok')) okAt = Date.now();
    });
    c.stderr.resume();
    c.once('close', (code) => resolve({ code, stdout, okAt }));
  });
}

/** Opens the dashboard in a fresh browser context (a new browser session) and signs in. */
async function openDashboard(r: Running, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  try {
    await page.goto(`${r.http}/`);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('[data-node="NODE1"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, [], 'no script errors or CSP violations');
    return page;
  } catch (e) {
    await context.close();
    throw e;
  }
}

/** The node whose column holds `group`. */
function ownerOf(page: Page, group: string): Promise<string> {
  return page
    .locator(`[data-group="${group}"]`)
    .evaluate((el) => el.closest<HTMLElement>('[data-node]')?.dataset.node ?? '');
}

test('the dashboard shows the nodes, and a failover through the CLI shows the group on its new node and in the stream within a second', async () => {
  const r = await startServe(dataDir(), ['--store', 'memory']);
  try {
    assert.match(r.banner, /dashboard: http:\/\/127\.0\.0\.1:\d+\//);
    const token = r.token ?? '';
    const page = await openDashboard(r, token);
    for (const n of ['NODE1', 'NODE2', 'NODE3'])
      assert.equal(await page.locator(`[data-node="${n}"]`).count(), 1, n);
    assert.equal(await page.locator('[data-connection]').textContent(), 'open');
    const from = await ownerOf(page, 'SQL Group');
    const to = ['NODE1', 'NODE2', 'NODE3'].find((n) => n !== from) ?? '';

    // In the page: note the wall-clock time when both the overview and the stream show the move.
    await page.evaluate(
      ({ group, node }) => {
        const w = window as unknown as { seenAt?: number };
        const check = (): void => {
          const moved =
            document.querySelector(`[data-node="${node}"] [data-group="${group}"]`) !== null;
          const streamed = [...document.querySelectorAll('tr[data-type="GROUP"]')].some(
            (tr) =>
              tr.querySelector('.c-name')?.textContent === group &&
              tr.querySelector('.c-flag')?.textContent === 'GROUP_OWNER_NODE_V2' &&
              tr.querySelector('.c-detail')?.textContent === `→ ${node}`,
          );
          if (moved && streamed) w.seenAt = Date.now();
          else requestAnimationFrame(check);
        };
        check();
      },
      { group: 'SQL Group', node: to },
    );
    const moved = await cli(r, token, ['group', 'move', 'SQL Group', '--node', to]);
    assert.equal(moved.code, 0, moved.stdout);
    await page.waitForFunction(() => (window as { seenAt?: number }).seenAt !== undefined, null, {
      timeout: 5000,
    });
    const seenAt = await page.evaluate(() => (window as { seenAt?: number }).seenAt ?? 0);
    const latencyMs = seenAt - moved.okAt;
    console.log(`# failover visible ${latencyMs} ms after the CLI printed ok`);
    assert.ok(latencyMs < 1000, `shown after ${latencyMs} ms`);
    assert.equal(await ownerOf(page, 'SQL Group'), to);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Ports and sessions: this page's session and its port are listed.
    const mine = page.locator('tbody[data-session]', { hasText: 'this page' });
    await mine.waitFor();
    assert.match((await mine.textContent()) ?? '', /port v2 · 9 filters · streamed/);

    // Filters: by object type and flag, then by object name.
    const rows = page.locator('table.events tbody tr');
    await page.getByLabel('Object type').selectOption({ label: 'group' });
    await page.getByLabel('Flag').selectOption({ label: 'GROUP_OWNER_NODE_V2' });
    // One move so far: exactly its row is left.
    await page.waitForFunction(() => {
      const flags = [...document.querySelectorAll('table.events tbody .c-flag')];
      return flags.length === 1 && flags[0]?.textContent === 'GROUP_OWNER_NODE_V2';
    });
    await page.getByLabel('Object name').fill('file server');
    await page.getByText('No indications match.').waitFor();
    await page.getByLabel('Object name').fill('sql');
    await rows.first().waitFor();
    // Pause: the view keeps still and counts what arrives; resume shows it.
    const stream = page.getByRole('region', { name: 'Event stream' });
    await stream.getByRole('button', { name: 'Pause' }).click();
    const back = await cli(r, token, ['group', 'move', 'SQL Group', '--node', from]);
    assert.equal(back.code, 0, back.stdout);
    await page.locator(`[data-node="${from}"] [data-group="SQL Group"]`).waitFor();
    await stream.getByRole('button', { name: /^Resume \([1-9][\d,]* new\)$/ }).waitFor();
    assert.equal(await rows.count(), 1, 'paused: the second move is not drawn');
    await stream.getByRole('button', { name: /^Resume/ }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('table.events tbody tr').length === 2,
    );
    assert.equal(await rows.first().locator('.c-detail').textContent(), `→ ${from}`);
    await page.getByLabel('Object type').selectOption({ label: 'all types' });

    // The token is kept for the browser session: a reload does not ask again …
    await page.reload();
    await page.locator('[data-node="NODE1"]').waitFor({ timeout: 10_000 });
    // … and a wrong token is refused with a message.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').fill('cn_f_wrong');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('alert').filter({ hasText: 'did not accept' }).waitFor();
    await page.context().close();
  } finally {
    await stopServe(r);
  }
});

/** `clusnotify token create --read|--full` on a data directory; resolves with the token. */
function createToken(data: string, access: '--read' | '--full'): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN, 'token', 'create', access, '--data', data], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.once('close', () => resolve(/(cn_\S+)/.exec(out)?.[1] ?? ''));
  });
}

test('a full token acts after confirmation; a read token sees no action buttons', async () => {
  const data = dataDir();
  const fullToken = await createToken(data, '--full');
  const readToken = await createToken(data, '--read');
  const r = await startServe(data, ['--store', 'memory']);
  try {
    const full = await openDashboard(r, fullToken);
    const node2 = full.locator('[data-node="NODE2"]');
    // Cancelling changes nothing.
    await node2.getByRole('button', { name: 'Pause' }).click();
    await full.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await full.getByRole('dialog').count(), 0);
    assert.equal(await node2.locator('.node-head .badge').textContent(), 'Up');
    // Confirming runs it.
    await node2.getByRole('button', { name: 'Pause' }).click();
    assert.match(
      (await full.getByRole('dialog').textContent()) ?? '',
      /Pause node NODE2/,
      'the dialog names the action',
    );
    await full.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await node2.locator('.node-head .badge', { hasText: 'Paused' }).waitFor({ timeout: 5000 });
    await full.getByRole('status').filter({ hasText: 'done (revision' }).waitFor();
    await node2.getByRole('button', { name: 'Resume' }).click();
    await full.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await node2.locator('.node-head .badge', { hasText: 'Up' }).waitFor({ timeout: 5000 });
    // Taking a resource offline shows its new state colour.
    const disk = full.locator('[data-resource="SQL Disk"]');
    await disk.getByRole('button', { name: 'Offline' }).click();
    await full.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await disk.locator('.state-text.tone-off').waitFor({ timeout: 5000 });
    await full.context().close();

    const read = await openDashboard(r, readToken);
    assert.equal(await read.locator('.topbar .access').textContent(), 'read only');
    assert.equal(await read.locator('.overview button').count(), 0, 'no action buttons');
    assert.equal(await read.locator('.overview select').count(), 0);
    await read.context().close();
  } finally {
    await stopServe(r);
  }
});

test('the dashboard offers a retry when it cannot connect, shows the connection lost and counts the reconnect', async () => {
  const data = dataDir();
  const servers: Running[] = [await startServe(data)];
  const first = servers[0] as Running;
  const token = first.token ?? '';
  const port = new URL(first.http).port;
  // The same data directory and port each time: the same cluster comes back.
  const restart = async (): Promise<Running> => {
    const r = await startServe(data, ['--port', port]);
    servers.push(r);
    return r;
  };
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  try {
    const page = await context.newPage();
    await page.goto(`${first.http}/`);
    assert.equal(await stopServe(first), 0);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not connect' }).waitFor();
    await restart();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('[data-node="NODE1"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-figure="reconnects"]').textContent(), '0');

    assert.equal(await stopServe(servers[1] as Running), 0);
    await page
      .locator('[data-connection="reconnecting"], [data-connection="disconnected"]')
      .waitFor();
    const third = await restart();
    await page.locator('[data-connection="open"]').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('[data-figure="reconnects"]').textContent(), '1');
    // Live again: a change made now reaches the overview.
    const paused = await cli(third, token, ['node', 'pause', 'NODE3']);
    assert.equal(paused.code, 0, paused.stdout);
    await page
      .locator('[data-node="NODE3"] .node-head .badge', { hasText: 'Paused' })
      .waitFor({ timeout: 5000 });
  } finally {
    await context.close();
    for (const r of servers) await stopServe(r);
  }
});

/**
 * The longest top-level task on the page's renderer main thread in a Chrome trace, in ms,
 * between the user-timing marks `measure-start` and `measure-end`.
 */
function longestTaskMs(trace: Buffer): { longestMs: number; longestCpuMs: number; tasks: number } {
  const { traceEvents } = JSON.parse(trace.toString('utf8')) as {
    traceEvents: {
      name: string;
      ph: string;
      pid: number;
      tid: number;
      ts: number;
      dur?: number;
      tdur?: number;
      args?: { name?: string };
    }[];
  };
  const main = new Set(
    traceEvents
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const mark = (name: string): number =>
    traceEvents.find((e) => e.name === name && e.ph !== 'M')?.ts ?? Number.NaN;
  const from = mark('measure-start');
  const to = mark('measure-end');
  assert.ok(from < to, 'the trace holds both marks');
  let longest = 0;
  let longestCpu = 0;
  let tasks = 0;
  for (const e of traceEvents) {
    if (e.ph !== 'X' || !main.has(`${e.pid}:${e.tid}`) || e.ts < from || e.ts > to) continue;
    if (e.name !== 'RunTask' && e.name !== 'ThreadControllerImpl::RunTask') continue;
    tasks++;
    longest = Math.max(longest, (e.dur ?? 0) / 1000);
    longestCpu = Math.max(longestCpu, (e.tdur ?? 0) / 1000);
  }
  return { longestMs: longest, longestCpuMs: longestCpu, tasks };
}

test('the page stays responsive (no frame over 100 ms) while the demo workload sends over 1,000 indications/s', async () => {
  const rate = Number(process.env.CLUSNOTIFY_DEMO_RATE ?? 600);
  const r = await startServe(dataDir(), [
    '--store',
    'memory',
    '--demo',
    '--demo-rate',
    String(rate),
  ]);
  try {
    const page = await openDashboard(r, r.token ?? '');
    // In the page: every animation frame over 50 ms and every task over 50 ms, with their
    // durations, as the browser reports them (Long Animation Frames API, Long Tasks API).
    await page.evaluate(() => {
      const w = window as unknown as { long_: number[]; measuring_: boolean };
      w.long_ = [];
      w.measuring_ = false;
      for (const type of ['long-animation-frame', 'longtask'] as const)
        new PerformanceObserver((list) => {
          if (w.measuring_) for (const e of list.getEntries()) w.long_.push(e.duration);
        }).observe({ type });
    });
    await page.waitForTimeout(2000); // the rate meter fills its window
    const received = async (): Promise<number> =>
      Number(
        ((await page.locator('[data-figure="received"]').textContent()) ?? '').replace(/,/g, ''),
      );
    const tracePath = join(ARTIFACTS, 'dashboard-trace.json');
    // Windows of 10 s, traced. In every one the page's own work stays short: no task on its
    // main thread uses 100 ms of CPU. Wall-clock frames also include time the OS gives to
    // other processes (the server and the demo share the machine), so a window counts when it
    // carried 1,000 indications/s or more and had no frame or task over 100 ms of wall time;
    // up to four windows are tried until one does.
    let clean: string | undefined;
    const seen: string[] = [];
    for (let window = 1; window <= 4 && clean === undefined; window++) {
      await browser.startTracing(page, {
        path: tracePath,
        categories: [
          'devtools.timeline',
          'disabled-by-default-devtools.timeline',
          'disabled-by-default-devtools.timeline.frame',
          'toplevel',
          'blink.user_timing',
        ],
      });
      // Starting a trace stalls the renderer once (the trace shows it at its start); measure
      // between two marks set after that.
      await page.waitForTimeout(1500);
      await page.evaluate(() => {
        (window as unknown as { measuring_: boolean }).measuring_ = true;
        performance.mark('measure-start');
      });
      const t0 = Date.now();
      const n0 = await received();
      await page.waitForTimeout(10_000);
      const n1 = await received();
      const seconds = (Date.now() - t0) / 1000;
      await page.evaluate(() => {
        (window as unknown as { measuring_: boolean }).measuring_ = false;
        performance.mark('measure-end');
      });
      await browser.stopTracing();
      const perSecond = Math.round((n1 - n0) / seconds);
      const long = await page.evaluate(() => {
        const w = window as unknown as { long_: number[] };
        return w.long_.splice(0);
      });
      const { longestMs, longestCpuMs, tasks } = longestTaskMs(readFileSync(tracePath));
      const line = `window ${window}, demo rate ${rate} commands/s: ${perSecond} indications/s shown; trace: longest task ${longestMs.toFixed(1)} ms (CPU ${longestCpuMs.toFixed(1)} ms) of ${tasks}; frames and tasks over 50 ms ${JSON.stringify(long.map(Math.round))}`;
      console.log(`# ${line}`);
      seen.push(line);
      assert.ok(tasks > 100, 'the trace holds the page main thread between the marks');
      assert.ok(longestCpuMs < 100, `a task used ${longestCpuMs} ms of CPU`);
      if (perSecond >= 1000 && longestMs < 100 && long.every((d) => d < 100)) clean = line;
    }
    assert.ok(clean !== undefined, `no clean window:\n${seen.join('\n')}`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-demo.png') });
    await page.context().close();
  } finally {
    await stopServe(r);
  }
});
