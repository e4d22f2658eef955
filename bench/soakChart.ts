/**
 * The soak's chart as a hand-written SVG: three panels over the same time axis (memory, handles,
 * the age of delivered values), each with labelled axes and units, a legend, the age limits as
 * dashed lines and the restarted device's outages as grey bands.
 */

export interface ChartSample {
  t: number;
  rssMb: number;
  heapUsedMb: number;
  activeHandles: number;
  activeResources: number;
  openFds: number;
  modbus: { maxAgeMs: number; medianAgeMs: number };
  opcua: { maxAgeMs: number; medianAgeMs: number };
}

export interface ChartOutage {
  stoppedAt: number;
  freshAt?: number;
}

interface Series {
  label: string;
  color: string;
  values: number[];
  faint?: boolean;
}

const WIDTH = 960;
const LEFT = 80;
const RIGHT = 200;
const PANEL_H = 170;
const GAP = 70;
const TOP = 50;
const PLOT_W = WIDTH - LEFT - RIGHT;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step that gives about `n` ticks over [0, max]. */
function niceStep(max: number, n: number): number {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

function panel(y0: number, title: string, unit: string, tMax: number, times: number[], series: Series[], extras: { y: number; label: string; color: string }[], bands: [number, number][]): string {
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const top = Math.max(1, ...finite, ...extras.map((e) => e.y * 1.15));
  const yStep = niceStep(top, 4);
  const yMax = Math.ceil(top / yStep) * yStep;
  const xStep = niceStep(tMax / 60, 8);
  const x = (t: number) => LEFT + (t / tMax) * PLOT_W;
  const y = (v: number) => y0 + PANEL_H - (v / yMax) * PANEL_H;
  const out: string[] = [];
  out.push(`<text x="${LEFT}" y="${y0 - 12}" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (const [a, b] of bands) out.push(`<rect x="${x(a).toFixed(1)}" y="${y0}" width="${Math.max(1, x(b) - x(a)).toFixed(1)}" height="${PANEL_H}" fill="#e6e6e6"/>`);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${+v.toFixed(2)}</text>`);
  }
  for (let m = 0; m <= tMax / 60 + 1e-9; m += xStep) {
    out.push(`<line x1="${x(m * 60).toFixed(1)}" x2="${x(m * 60).toFixed(1)}" y1="${y0 + PANEL_H}" y2="${y0 + PANEL_H + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(m * 60).toFixed(1)}" y="${y0 + PANEL_H + 18}" text-anchor="middle">${+m.toFixed(2)}</text>`);
  }
  out.push(`<text transform="translate(${LEFT - 50},${y0 + PANEL_H / 2}) rotate(-90)" text-anchor="middle">${esc(unit)}</text>`);
  out.push(`<text x="${LEFT + PLOT_W / 2}" y="${y0 + PANEL_H + 34}" text-anchor="middle">minutes since the start of the measured run</text>`);
  for (const e of extras) {
    out.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${y(e.y).toFixed(1)}" y2="${y(e.y).toFixed(1)}" stroke="${e.color}" stroke-dasharray="6 4"/>`);
  }
  for (const s of series) {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(times[i]!).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.faint ? ' stroke-opacity="0.55"' : ''} points="${pts.join(' ')}"/>`);
  }
  out.push(`<rect x="${LEFT}" y="${y0}" width="${PLOT_W}" height="${PANEL_H}" fill="none" stroke="#333"/>`);
  // The legend, right of the plot.
  const legend = [...series.map((s) => ({ label: s.label, color: s.color, dash: false, faint: s.faint === true })), ...extras.map((e) => ({ label: e.label, color: e.color, dash: true, faint: false }))];
  legend.forEach((l, i) => {
    const ly = y0 + 10 + i * 18;
    out.push(`<line x1="${LEFT + PLOT_W + 14}" x2="${LEFT + PLOT_W + 36}" y1="${ly}" y2="${ly}" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="6 4"' : ''}${l.faint ? ' stroke-opacity="0.55"' : ''}/>`);
    out.push(`<text x="${LEFT + PLOT_W + 42}" y="${ly + 4}">${esc(l.label)}</text>`);
  });
  return out.join('\n');
}

export function soakChart(samples: readonly ChartSample[], outages: readonly ChartOutage[], o: { modbusLimitMs: number; opcuaLimitMs: number; title: string }): string {
  const times = samples.map((s) => s.t);
  const tMax = Math.max(60, ...times);
  const bands = outages.map((x): [number, number] => [x.stoppedAt, Math.min(tMax, x.freshAt ?? tMax)]);
  const height = TOP + 3 * PANEL_H + 3 * GAP;
  const p1 = panel(TOP + 20, 'Gateway memory', 'MB', tMax, times, [
    { label: 'RSS (/proc)', color: '#1f77b4', values: samples.map((s) => s.rssMb) },
    { label: 'heap used', color: '#ff7f0e', values: samples.map((s) => s.heapUsedMb) },
  ], [], []);
  const p2 = panel(TOP + 20 + PANEL_H + GAP, 'Gateway handles and descriptors', 'count', tMax, times, [
    { label: 'active handles', color: '#2ca02c', values: samples.map((s) => s.activeHandles) },
    { label: 'active resources', color: '#9467bd', values: samples.map((s) => s.activeResources) },
    { label: 'open fds', color: '#8c564b', values: samples.map((s) => s.openFds) },
  ], [], []);
  const p3 = panel(TOP + 20 + 2 * (PANEL_H + GAP), 'Age of delivered values, per 10 s sample (grey: restarted device off)', 'ms', tMax, times, [
    { label: 'Modbus max', color: '#d62728', values: samples.map((s) => s.modbus.maxAgeMs) },
    { label: 'Modbus median', color: '#d62728', values: samples.map((s) => s.modbus.medianAgeMs), faint: true },
    { label: 'OPC UA max', color: '#17becf', values: samples.map((s) => s.opcua.maxAgeMs) },
    { label: 'OPC UA median', color: '#17becf', values: samples.map((s) => s.opcua.medianAgeMs), faint: true },
  ], [
    { y: o.modbusLimitMs, label: `Modbus limit ${o.modbusLimitMs} ms`, color: '#d62728' },
    { y: o.opcuaLimitMs, label: `OPC UA limit ${o.opcuaLimitMs} ms`, color: '#17becf' },
  ], bands);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" fill="#222">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="28" font-size="17" font-weight="bold">${esc(o.title)}</text>`,
    p1,
    p2,
    p3,
    '</svg>',
    '',
  ].join('\n');
}
