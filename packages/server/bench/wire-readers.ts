/**
 * A thread of the wire benchmark's latency run holding some of its readers (`wire.bench.ts`):
 * 100 clients handled by one event loop get each change one after another, so the last one's
 * figure included the other 99's work. The thread opens its readers, says `ready`, and on `stop`
 * closes them and answers with the first arrival of each revision per reader (on `clockMs`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Peer, read, watchEverything } from './wire-peer.js';
import type { Reader } from './wire-peer.js';

/** What the latency run gives each thread. */
export interface ReaderThreadData {
  readonly url: string;
  readonly token: string;
  readonly count: number;
}

/** A thread's answer to `stop`: per reader, revisions and their first arrival times. */
export interface ReaderThreadReport {
  readonly type: 'report';
  readonly readers: { readonly revisions: Float64Array; readonly times: Float64Array }[];
}

const port = parentPort;
if (port === null) throw new Error('wire-readers runs as a worker thread');
const data = workerData as ReaderThreadData;
const peers: Peer[] = [];
const readers: Reader[] = [];
for (let i = 0; i < data.count; i++) {
  const p = await Peer.open(data.url, data.token);
  peers.push(p);
  readers.push(read(p, await watchEverything(p), true));
}
port.postMessage({ type: 'ready' });
port.once('message', () => {
  void (async () => {
    for (const r of readers) r.stop();
    await Promise.all(readers.map((r) => r.done));
    for (const p of peers) p.close();
    const report: ReaderThreadReport = {
      type: 'report',
      readers: readers.map((r) => {
        const seen = [...r.firstSeen.entries()];
        return {
          revisions: Float64Array.from(seen, ([rev]) => rev),
          times: Float64Array.from(seen, ([, at]) => at),
        };
      }),
    };
    port.postMessage(report);
  })();
});
