/**
 * `npm run bench:floor` runs this after `connection-floor.bench.ts`; alone: `node
 * packages/bench/dist/src/latency-floor.bench.js`. The floor under the wire bench's latency
 * figure (`bench:wire`, "latency, 100 clients at R changes/s"): the same shape of run against
 * servers that only relay (`floor-server.ts`, `net-relay` and `ws-relay`), so clusnotify's p99
 * can be read against what Node and this machine give a server that does nothing else.
 *
 * As in the wire bench: 100 readers and one writer in this process, over loopback; the writer
 * keeps 16 calls in flight, paced at the rate, one unmeasured second first, then `--seconds`
 * measured; a sample is the time from sending a call to one reader's parsing its frame (every
 * reader parses every frame as JSON). Each frame is about `--frame-bytes` (1,000: what a
 * clusnotify notify frame of one resource toggle's indications weighs). CPU is the server's
 * (`/proc`) and this process's, per change.
 *
 * Options: `--runs N` (3; figures are medians), `--seconds N` (4), `--rates 200,1000`,
 * `--readers N` (100), `--frame-bytes N` (1000), `--kinds net,ws`.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { onLines } from './lines.js';
import { installCleanup, stopAll } from './processes.js';
import { cpuSeconds, startFloorServer } from './servers.js';
import { median } from './stats.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    rates: { type: 'string', default: '200,1000' },
    readers: { type: 'string', default: '100' },
    'frame-bytes': { type: 'string', default: '1000' },
    kinds: { type: 'string', default: 'net,ws' },
  },
});
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);
const RATES = args.rates.split(',').map(Number);
const READERS = Number(args.readers);
const FRAME_BYTES = Number(args['frame-bytes']);
type Kind = 'net' | 'ws';
const KINDS = args.kinds.split(',').map((k): Kind => {
  if (k !== 'net' && k !== 'ws') throw new Error(`--kinds: net or ws (got ${k})`);
  return k;
});
/** Calls the writer keeps in flight, as the wire bench's latency run. */
const INFLIGHT = 16;

/** One connection to a relay: send a text, get each text that arrives. */
interface Link {
  send(text: string): void;
  onText(handler: (text: string) => void): void;
  close(): void;
}

async function netLink(port: number, role: 'R' | 'W'): Promise<Link> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  socket.write(`${role}\n`);
  return {
    send: (text) => socket.write(`${text}\n`),
    onText: (handler) => onLines(socket, handler),
    close: () => socket.destroy(),
  };
}

async function wsLink(port: number, role: 'R' | 'W'): Promise<Link> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(role);
  return {
    send: (text) => ws.send(text),
    onText: (handler) => ws.on('message', (data: Buffer) => handler(data.toString('utf8'))),
    close: () => ws.terminate(),
  };
}

interface Figures {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly serverCpuUs: number;
  readonly benchCpuUs: number;
}

/** Sends `count` calls paced at `rate` with `INFLIGHT` in flight; `sent[id]` is each send time. */
async function write(
  writer: Link,
  answered: Map<number, () => void>,
  first: number,
  count: number,
  rate: number,
  sent: Float64Array,
): Promise<void> {
  let next = 0;
  const t0 = performance.now();
  const one = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = first + i;
      await new Promise<void>((resolve) => {
        answered.set(id, resolve);
        sent[id] = performance.now();
        writer.send(`{"id":${id}}`);
      });
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, one));
}

async function measure(kind: Kind, rate: number): Promise<Figures> {
  const srv = await startFloorServer(kind === 'net' ? 'net-relay' : 'ws-relay', FRAME_BYTES);
  const links: Link[] = [];
  try {
    const open = kind === 'net' ? netLink : wsLink;
    const warm = Math.round(rate);
    const total = warm + Math.round(rate * SECONDS);
    const sent = new Float64Array(total);
    // Samples of the measured changes only, as milliseconds.
    const samples = new Float64Array((total - warm) * READERS);
    let n = 0;
    for (let r = 0; r < READERS; r++) {
      const reader = await open(srv.port, 'R');
      links.push(reader);
      reader.onText((text) => {
        const { seq } = JSON.parse(text) as { seq: number };
        if (seq >= warm) samples[n++] = performance.now() - (sent[seq] as number);
      });
    }
    const writer = await open(srv.port, 'W');
    links.push(writer);
    const answered = new Map<number, () => void>();
    writer.onText((text) => {
      const { id } = JSON.parse(text) as { id: number };
      answered.get(id)?.();
      answered.delete(id);
    });
    // The unmeasured second also covers a reader whose `R` the relay reads after the first calls.
    await write(writer, answered, 0, warm, rate, sent);
    const cpu0 = cpuSeconds(srv.pid);
    const own0 = process.cpuUsage();
    await write(writer, answered, warm, total - warm, rate, sent);
    const deadline = performance.now() + 3000;
    while (n < samples.length && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const own = process.cpuUsage(own0);
    const changes = total - warm;
    if (n < samples.length)
      throw new Error(`${kind} relay: ${samples.length - n} of ${samples.length} frames missing`);
    const sorted = samples.sort();
    const at = (p: number): number => sorted[Math.floor(p * (sorted.length - 1))] as number;
    return {
      p50: at(0.5),
      p99: at(0.99),
      p999: at(0.999),
      serverCpuUs: ((cpuSeconds(srv.pid) - cpu0) * 1e6) / changes,
      benchCpuUs: (own.user + own.system) / changes,
    };
  } finally {
    for (const l of links) l.close();
    await srv.stop();
  }
}

installCleanup();
try {
  const runs = new Map<string, Figures[]>();
  for (let run = 0; run < RUNS; run++)
    for (const kind of KINDS)
      for (const rate of RATES) {
        const f = await measure(kind, rate);
        const key = `${kind} relay at ${rate} changes/s`;
        runs.set(key, [...(runs.get(key) ?? []), f]);
        process.stderr.write(
          `run ${run + 1}: ${key}: p50 ${f.p50.toFixed(2)} p99 ${f.p99.toFixed(2)} p99.9 ${f.p999.toFixed(2)} ms; CPU µs per change: server ${f.serverCpuUs.toFixed(0)}, readers and writer ${f.benchCpuUs.toFixed(0)}\n`,
        );
      }
  console.log(
    `latency floor: ${READERS} readers, frames of ~${FRAME_BYTES} B, median of ${RUNS} runs, ${SECONDS} s each, node ${process.version}`,
  );
  console.log('');
  console.log(
    '| server | p50 ms | p99 ms | p99.9 ms | p99 runs | server CPU µs/change | readers+writer CPU µs/change |',
  );
  console.log('| --- | ---: | ---: | ---: | --- | ---: | ---: |');
  const fmt = (x: number): string => x.toFixed(2);
  for (const [key, fs] of runs) {
    const m = (pick: (f: Figures) => number): number => median(fs.map(pick));
    console.log(
      `| ${key} | ${fmt(m((f) => f.p50))} | ${fmt(m((f) => f.p99))} | ${fmt(m((f) => f.p999))} | ${fs.map((f) => fmt(f.p99)).join(', ')} | ${m((f) => f.serverCpuUs).toFixed(0)} | ${m((f) => f.benchCpuUs).toFixed(0)} |`,
    );
  }
} finally {
  await stopAll();
}
