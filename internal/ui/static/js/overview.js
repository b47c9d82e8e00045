// Overview: cost and requests over time by provider or model; the books'
// revenue and gross margin the same way when the ledger is on; each cloud's
// share of traffic and why it got it (route reasons, from the newest stored
// attempts: won under the model's policy, or a failover and its cause).
import { api, optional, qs } from './api.js';
import { timeChart } from './charts.js';
import { colourOf, el, int, nanosToUSD, pct, replace, table, usd, usdShort, when } from './fmt.js';

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

// Route reasons (GET /admin/v1/traffic) in words, each with a fixed
// Okabe–Ito colour: first choices in blues and green, failovers in the warm
// colours. The legend always names them, so colour is never the only cue.
const failoverReasons = {
  'failover:429': ['failover after 429', '#E69F00'],
  'failover:5xx': ['failover after 5xx', '#D55E00'],
  'failover:timeout_or_connection': ['failover after timeout or connection error', '#CC79A7'],
  'failover:broken_stream': ['failover after a broken stream', '#F0E442'],
  'failover:4xx': ['failover after another 4xx', '#000000'],
  'failover:earlier_attempt_not_read': ['failover, cause before the sample', '#999999'],
};
const policyColours = ['#0072B2', '#56B4E9', '#009E73'];
const policies = new Map();

export function reasonOf(code) {
  if (failoverReasons[code]) return failoverReasons[code];
  const name = code.startsWith('policy:') ? code.slice(7) : '';
  if (!policies.has(name)) policies.set(name, policyColours[policies.size % policyColours.length]);
  return [name ? `first choice under ${name}` : 'first choice', policies.get(name)];
}

function why(traffic, shares) {
  const byProvider = new Map(traffic.providers.map((p) => [p.provider, p]));
  const names = [...new Set([...shares.map((r) => r.group.provider), ...traffic.providers.map((p) => p.provider)])];
  const rows = names.map((name) => ({ name, share: shares.find((r) => r.group.provider === name), why: byProvider.get(name) }));
  const total = shares.reduce((s, r) => s + r.attempts, 0);
  const cut = traffic.complete
    ? `all ${int(traffic.attempts_read)} attempts of the period`
    : `the newest ${int(traffic.attempts_read)} attempts, back to ${when(traffic.read_from)}`;
  return [
    table([
      { label: 'Cloud', get: (r) => el('span', {}, el('span', { class: 'swatch', style: `background:${colourOf(r.name || '(none)')}` }), r.name || '(none)') },
      { label: 'Share of attempts', key: 'share', get: (r) => (r.share ? `${pct(r.share.attempts, total)} · ${int(r.share.attempts)}` : '–'), num: true },
      { label: 'First choice', key: 'first', get: (r) => (r.why ? pct(r.why.first_attempts, r.why.attempts) : '–'), num: true },
      { label: 'Failovers', key: 'failovers', get: (r) => (r.why ? pct(r.why.failovers, r.why.attempts) : '–'), num: true },
      { label: 'Why (share of its sampled attempts)', key: 'why', cls: () => 'reasons', get: (r) => {
        if (!r.why) return el('span', { class: 'note' }, 'no attempts sampled');
        const n = r.why.attempts;
        return el('span', {},
          el('span', { class: 'why', title: r.why.reasons.map((x) => `${reasonOf(x.reason)[0]}: ${x.attempts}`).join(', ') },
            r.why.reasons.map((x) => el('span', { style: `width:${(100 * x.attempts / n).toFixed(2)}%;background:${reasonOf(x.reason)[1]}` }))),
          r.why.reasons.map((x) => el('span', { class: 'reason' },
            el('span', { class: 'swatch', style: `background:${reasonOf(x.reason)[1]}` }), `${reasonOf(x.reason)[0]} ${pct(x.attempts, n)}`)));
      } },
    ], rows),
    el('p', { class: 'note' }, `Share: attempts in the period, from the rollups. Why: ${cut}, from the store, every replica. `
      + 'A first attempt went to the deployment the model\'s routing policy (as configured now) ranked first among those available; '
      + 'a later attempt is a failover, named by what happened to the attempt before it. '
      + 'A deployment passed over because its quota was full or it was cooling down is not recorded on the attempt yet.'),
  ];
}

export async function overview() {
  const period = document.getElementById('ov-period').value;
  const [span, bucket] = periods[period];
  const split = document.getElementById('ov-split').value;
  const to = Math.floor(Date.now() / 1000);
  const from = to - span;
  const iso = (s) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const range = { from: iso(from), to: iso(to) };
  const [usage, byProvider, books, traffic] = await Promise.all([
    api('usage?' + qs({ ...range, group_by: `${split},${bucket}` })),
    api('usage?' + qs({ ...range, group_by: 'provider' })),
    optional('reports/margin?' + qs({ ...range, group_by: `${split},${bucket}` })),
    optional('traffic?' + qs({ window: period === '30d' ? '720h' : period === '7d' ? '168h' : '24h' })),
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
  const grid = document.getElementById('ov-books');
  if (books) {
    grid.hidden = false;
    const bt = books.total;
    kpis.unshift(['Revenue', usd(nanosToUSD(bt.revenue_nanos))], ['Gross margin', `${usd(nanosToUSD(bt.margin_nanos))} (${bt.margin_percent || '–'}%)`]);
    replace('ov-rev-split-cap', `Revenue by ${split} (USD, from the books)`);
    replace('ov-margin-cap', `Gross margin by ${split} (USD, from the books)`);
    timeChart('ov-rev-split', xs, series(books.rows, split, bucket, xs, (r) => nanosToUSD(r.revenue_nanos)), usd, usdShort);
    timeChart('ov-margin', xs, series(books.rows, split, bucket, xs, (r) => nanosToUSD(r.margin_nanos)), usd, usdShort);
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
    grid.hidden = true;
  }
  replace('ov-kpis', ...kpis.map(([k, v]) => el('div', { class: 'kpi' }, el('span', {}, k), el('b', {}, v))));

  const rows = [...byProvider.rows].sort((a, b) => b.attempts - a.attempts);
  const total = rows.reduce((s, r) => s + r.attempts, 0);
  const bar = el('div', { class: 'share' }, rows.map((r) => el('div', {
    title: `${r.group.provider}: ${pct(r.attempts, total)}`,
    style: `width:${total ? 100 * r.attempts / total : 0}%;background:${colourOf(r.group.provider || '(none)')}`,
  })));
  replace('ov-share', total ? bar : el('p', { class: 'note' }, 'No traffic in this period.'));
  replace('ov-why', ...(traffic ? why(traffic, rows) : [el('p', { class: 'note' }, 'Route reasons are not available from this admin listener.')]));
}
