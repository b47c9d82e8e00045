// Overview: cost and requests over time by provider or model, each cloud's
// share of traffic, and the books' revenue and margin when the ledger is on.
import { api, optional, qs } from './api.js';
import { timeChart } from './charts.js';
import { colourOf, el, int, nanosToUSD, pct, replace, usd, usdShort } from './fmt.js';

const periods = { '24h': [24 * 3600, 'hour'], '7d': [7 * 86400, 'hour'], '30d': [30 * 86400, 'day'] };

// buckets lists every bucket start (Unix seconds) from from to to.
function buckets(from, to, step) {
  const s = step === 'hour' ? 3600 : 86400;
  const xs = [];
  for (let t = Math.floor(from / s) * s; t <= to; t += s) xs.push(t);
  return xs;
}

const bucketTime = (v) => Date.parse(v.length === 10 ? v + 'T00:00:00Z' : v) / 1000;

// series pivots rows grouped by (dim, bucket) into one series per dim value,
// biggest first, with at most 7 named and the rest as "other".
function series(rows, dim, bucket, xs, value) {
  const idx = new Map(xs.map((x, i) => [x, i]));
  const by = new Map();
  for (const r of rows) {
    const name = r.group[dim] || '(none)';
    if (!by.has(name)) by.set(name, { label: name, values: xs.map(() => 0), total: 0 });
    const s = by.get(name);
    const i = idx.get(bucketTime(r.group[bucket]));
    const v = value(r);
    if (i !== undefined) s.values[i] += v;
    s.total += v;
  }
  const all = [...by.values()].sort((a, b) => b.total - a.total);
  for (const s of all) s.color = colourOf(s.label);
  if (all.length <= 7) return all;
  const other = { label: 'other', values: xs.map(() => 0), color: '#7f7f7f' };
  for (const s of all.slice(6)) s.values.forEach((v, i) => { other.values[i] += v; });
  return [...all.slice(0, 6), other];
}

export async function overview() {
  const [span, bucket] = periods[document.getElementById('ov-period').value];
  const split = document.getElementById('ov-split').value;
  const to = Math.floor(Date.now() / 1000);
  const from = to - span;
  const iso = (s) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const period = { from: iso(from), to: iso(to) };
  const [usage, byProvider, books] = await Promise.all([
    api('usage?' + qs({ ...period, group_by: `${split},${bucket}` })),
    api('usage?' + qs({ ...period, group_by: 'provider' })),
    optional('reports/margin?' + qs({ ...period, group_by: bucket })),
  ]);
  const xs = buckets(from, to, bucket);
  timeChart('ov-cost', xs, series(usage.rows, split, bucket, xs, (r) => nanosToUSD(r.cost_nanos)), usd, usdShort);
  timeChart('ov-req', xs, series(usage.rows, split, bucket, xs, (r) => r.attempts), int);

  const t = usage.total;
  const kpis = [
    ['Cost', usd(nanosToUSD(t.cost_nanos))],
    ['Attempts', int(t.attempts)],
    ['Failed attempts', pct(t.failed, t.attempts)],
    ['Tokens in / out', `${int(t.reported.prompt + t.estimated.prompt)} / ${int(t.reported.completion + t.estimated.completion)}`],
  ];
  const fig = document.getElementById('ov-books');
  if (books) {
    fig.hidden = false;
    const bt = books.total;
    kpis.unshift(['Revenue', usd(nanosToUSD(bt.revenue_nanos))], ['Gross margin', `${usd(nanosToUSD(bt.margin_nanos))} (${bt.margin_percent || '–'}%)`]);
    const idx = new Map(xs.map((x, i) => [x, i]));
    const rev = xs.map(() => 0), cost = xs.map(() => 0), margin = xs.map(() => 0);
    for (const r of books.rows) {
      const i = idx.get(bucketTime(r.group[bucket]));
      if (i === undefined) continue;
      rev[i] += nanosToUSD(r.revenue_nanos); cost[i] += nanosToUSD(r.cost_nanos); margin[i] += nanosToUSD(r.margin_nanos);
    }
    timeChart('ov-rev', xs, [{ label: 'revenue', values: rev, color: '#0072B2' }, { label: 'cost', values: cost, color: '#D55E00' },
      { label: 'gross margin', values: margin, color: '#009E73' }], usd, usdShort);
  } else {
    fig.hidden = true;
  }
  replace('ov-kpis', ...kpis.map(([k, v]) => el('div', { class: 'kpi' }, el('span', {}, k), el('b', {}, v))));

  const rows = [...byProvider.rows].sort((a, b) => b.attempts - a.attempts);
  const total = rows.reduce((s, r) => s + r.attempts, 0);
  const bar = el('div', { class: 'share' }, rows.map((r) => el('div', {
    title: `${r.group.provider}: ${pct(r.attempts, total)}`,
    style: `width:${total ? 100 * r.attempts / total : 0}%;background:${colourOf(r.group.provider || '(none)')}`,
  })));
  const legend = el('div', { class: 'legend' }, rows.map((r) => el('span', {},
    el('span', { class: 'swatch', style: `background:${colourOf(r.group.provider || '(none)')}` }),
    `${r.group.provider || '(none)'} ${pct(r.attempts, total)} · ${int(r.attempts)} attempts · ${usd(nanosToUSD(r.cost_nanos))}`)));
  replace('ov-share', total ? bar : el('p', { class: 'note' }, 'No traffic in this period.'), legend);
}
