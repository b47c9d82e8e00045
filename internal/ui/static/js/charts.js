// Time-series charts on uPlot (vendored, global uPlot), one per container,
// updated in place on refresh so auto-refresh does not flicker.
import { palette } from './fmt.js';

const plots = new Map(); // container id -> {plot, key}

// Dashes tell series apart without colour too.
const dashes = [undefined, [6, 3], [2, 2], [10, 3, 2, 3]];

// timeChart draws series [{label, values}] over xs (Unix seconds) in the
// element with id; fmtY formats the legend, fmtAxis the y axis' ticks.
export function timeChart(id, xs, series, fmtY = (v) => v, fmtAxis = fmtY) {
  const node = document.getElementById(id);
  const key = series.map((s) => s.label).join('\u0000');
  const data = [xs, ...series.map((s) => s.values)];
  const prev = plots.get(id);
  if (prev && prev.key === key && node.contains(prev.plot.root)) {
    prev.plot.setData(data);
    return;
  }
  if (prev) prev.plot.destroy();
  node.replaceChildren();
  if (!xs.length || !series.length) {
    node.textContent = 'No data in this period.';
    plots.delete(id);
    return;
  }
  const width = Math.max(320, node.clientWidth || 600);
  const plot = new uPlot({
    width, height: 260,
    series: [{}, ...series.map((s, i) => ({
      label: s.label, stroke: s.color || palette[i % palette.length], width: 2,
      dash: dashes[Math.floor(i / palette.length) % dashes.length],
      points: { show: xs.length < 60 },
      value: (u, v) => (v == null ? '–' : fmtY(v)),
    }))],
    axes: [{}, { values: (u, vals) => vals.map(fmtAxis), size: 64 }],
    scales: { x: { time: true } },
    legend: { live: true },
  }, data, node);
  plots.set(id, { plot, key });
}

// resize keeps the charts as wide as their boxes.
window.addEventListener('resize', () => {
  for (const [id, p] of plots) {
    const node = document.getElementById(id);
    if (node && node.clientWidth) p.plot.setSize({ width: Math.max(320, node.clientWidth), height: 260 });
  }
});
