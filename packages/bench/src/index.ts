/**
 * @clusnotify/bench — side-by-side benchmarks of clusnotify against etcd watch, Redis pub/sub
 * and NATS core (`npm run bench:peers`). The pure helpers are exported for the tests.
 */
export { Histogram, median } from './stats.js';
export { PAYLOAD_BYTES, makePayload, parsePayload } from './payload.js';
export { axisTicks, barChartSvg, escapeXml, formatShort } from './svg-chart.js';
export type { ChartOptions, ChartPanel } from './svg-chart.js';
