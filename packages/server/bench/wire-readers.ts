/**
 * A thread of the wire benchmark's latency run holding some of its readers (`wire.bench.ts`):
 * 100 clients handled by one event loop get each change one after another, so the last one's
 * figure included the other 99's work. The thread opens its readers, says `ready`, and on `stop`
 * closes them and answers with the first arrival of each revision per reader (on `clockMs`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openReaders } from './wire-peer.js';

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
const open = await openReaders(data.url, data.token, data.count, true);
port.postMessage({ type: 'ready' });
port.once('message', () => {
  void (async () => {
    await open.close();
    const report: ReaderThreadReport = {
      type: 'report',
      readers: open.readers.map((r) => {
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
