/**
 * A grouped bar chart as a standalone SVG document, written by hand (no chart library): one
 * panel per figure, groups along the x axis (watcher counts), one bar per series (system) in
 * each group, a linear or base-10 logarithmic y axis, value labels on the bars, a legend.
 */

/** One panel of {@link barChartSvg}. */
export interface ChartPanel {
  readonly title: string;
  /** Axis label, for example "events/s". */
  readonly unit: string;
  /** Labels along the x axis. */
  readonly groups: readonly string[];
  /** One bar per series in every group; `values[i]` belongs to `groups[i]` (NaN: no bar). */
  readonly series: readonly { readonly name: string; readonly values: readonly number[] }[];
  /** Logarithmic y axis (for figures that span orders of magnitude). */
  readonly log?: boolean;
}

/** Options of {@link barChartSvg}. */
export interface ChartOptions {
  readonly title: string;
  /** A line under the title (machine, date). */
  readonly subtitle?: string;
  /** Width in pixels (default 900). */
  readonly width?: number;
  /** Height of each panel in pixels (default 300). */
  readonly panelHeight?: number;
}

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#57606a'];

/** Escapes text for SVG content and attribute values. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** A short label: 1234567 → "1.23M", 0.456 → "0.456". */
export function formatShort(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return Math.round(v).toString();
  return v.toPrecision(3).replace(/\.?0+$/, '');
}

/** Tick values for an axis from 0 (linear) or the lowest power of ten (log) up to `max`. */
export function axisTicks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const lo = Math.floor(Math.log10(Math.max(min, Number.MIN_VALUE)));
    const hi = Math.ceil(Math.log10(Math.max(max, Number.MIN_VALUE)));
    const ticks: number[] = [];
    for (let e = lo; e <= Math.max(hi, lo + 1); e++) ticks.push(10 ** e);
    return ticks;
  }
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t < max + step - 1e-9 * step; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function panelSvg(p: ChartPanel, width: number, height: number, top: number): string {
  const left = 70;
  const right = 20;
  const plotTop = top + 28;
  const plotBottom = top + height - 30;
  const plotW = width - left - right;
  const plotH = plotBottom - plotTop;
  const values = p.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const log = p.log === true && values.length > 0;
  const ticks = axisTicks(
    values.length > 0 ? Math.min(...values) : 1,
    values.length > 0 ? Math.max(...values) : 1,
    log,
  );
  const lo = log ? (ticks[0] as number) : 0;
  const hi = ticks.at(-1) as number;
  const y = (v: number): number => {
    const f = log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : v / hi;
    return plotBottom - Math.max(0, Math.min(1, f)) * plotH;
  };
  const out: string[] = [];
  out.push(
    `<text x="${left}" y="${top + 16}" font-size="14" font-weight="bold">${escapeXml(p.title)}</text>`,
  );
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${width - right}" y1="${ty}" y2="${ty}" stroke="#d0d7de" stroke-width="1"/>`,
      `<text x="${left - 6}" y="${ty}" font-size="11" text-anchor="end" dominant-baseline="middle">${escapeXml(formatShort(t))}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${((plotTop + plotBottom) / 2).toFixed(1)}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${((plotTop + plotBottom) / 2).toFixed(1)})">${escapeXml(p.unit)}${log ? ' (log)' : ''}</text>`,
  );
  const groupW = plotW / Math.max(1, p.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, p.series.length);
  p.groups.forEach((g, gi) => {
    const gx = left + gi * groupW;
    out.push(
      `<text x="${(gx + groupW / 2).toFixed(1)}" y="${plotBottom + 18}" font-size="12" text-anchor="middle">${escapeXml(g)}</text>`,
    );
    p.series.forEach((s, si) => {
      const v = s.values[gi] ?? NaN;
      if (!Number.isFinite(v) || (log && v <= 0)) return;
      const x = gx + groupW * 0.1 + si * barW;
      const by = y(v);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(plotBottom - by).toFixed(1)}" fill="${COLORS[si % COLORS.length] ?? '#000'}"><title>${escapeXml(`${s.name}, ${g}: ${formatShort(v)} ${p.unit}`)}</title></rect>`,
        `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(by - 3).toFixed(1)}" font-size="9" text-anchor="middle">${escapeXml(formatShort(v))}</text>`,
      );
    });
  });
  out.push(
    `<line x1="${left}" x2="${width - right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#57606a" stroke-width="1"/>`,
  );
  return out.join('\n');
}

/** The chart as an SVG document (UTF-8 text). Series are coloured in order; the legend uses the
 * first panel's series names. */
export function barChartSvg(panels: readonly ChartPanel[], options: ChartOptions): string {
  const width = options.width ?? 900;
  const panelHeight = options.panelHeight ?? 300;
  const header = options.subtitle === undefined ? 34 : 52;
  const names = panels[0]?.series.map((s) => s.name) ?? [];
  const legendH = 26;
  const height = header + legendH + panels.length * panelHeight + 10;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" fill="#24292f">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" font-size="16" font-weight="bold" text-anchor="middle">${escapeXml(options.title)}</text>`,
  );
  if (options.subtitle !== undefined)
    out.push(
      `<text x="${width / 2}" y="40" font-size="11" text-anchor="middle">${escapeXml(options.subtitle)}</text>`,
    );
  let lx = 70;
  names.forEach((n, i) => {
    out.push(
      `<rect x="${lx}" y="${header}" width="12" height="12" fill="${COLORS[i % COLORS.length] ?? '#000'}"/>`,
      `<text x="${lx + 16}" y="${header + 10}" font-size="12">${escapeXml(n)}</text>`,
    );
    lx += 28 + n.length * 7;
  });
  panels.forEach((p, i) => {
    out.push(panelSvg(p, width, panelHeight, header + legendH + i * panelHeight));
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
