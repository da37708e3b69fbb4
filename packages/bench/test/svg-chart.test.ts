import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisTicks, barChartSvg, escapeXml, formatShort } from '@clusnotify/bench';

test('short labels use k and M with three digits', () => {
  assert.equal(formatShort(1_234_567), '1.23M');
  assert.equal(formatShort(45_600), '45.6k');
  assert.equal(formatShort(512), '512');
  assert.equal(formatShort(2.5), '2.5');
  assert.equal(formatShort(NaN), '—');
});

test('linear ticks start at 0 and reach the maximum in round steps', () => {
  assert.deepEqual(axisTicks(3, 87, false), [0, 20, 40, 60, 80, 100]);
});

test('log ticks are the powers of ten around the data', () => {
  assert.deepEqual(axisTicks(7, 2_000, true), [1, 10, 100, 1000, 10_000]);
});

test('markup characters in labels are escaped', () => {
  assert.equal(escapeXml('a<b & "c">'), 'a&lt;b &amp; &quot;c&quot;&gt;');
});

test('the chart is one SVG document with a bar per finite value and a legend entry per series', () => {
  const svg = barChartSvg(
    [
      {
        title: 'Delivered events/s',
        unit: 'events/s',
        groups: ['1 watcher', '100 watchers'],
        series: [
          { name: 'A', values: [10, 1000] },
          { name: 'B<x>', values: [NaN, 500] },
        ],
        log: true,
      },
    ],
    { title: 'T', subtitle: 'machine' },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 3);
  assert.ok(svg.includes('B&lt;x&gt;'));
  assert.ok(!svg.includes('NaN'));
});
