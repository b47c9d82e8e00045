// Commitments, targets and experiments: shown when this build's admin API has
// the report, "not available" when it answers 404.
import { optional, qs } from './api.js';
import { timeChart } from './charts.js';
import { el, int, nanosToUSD, percentAxis, replace, table, usd, usdShort } from './fmt.js';

const unavailable = (what) => el('p', { class: 'note' }, `${what} are not available from this admin listener.`);

// commitments: each commitment's draw against the straight line of its term
// with the projections to its end (a burn-up chart per commitment), and
// each capacity contract's hourly utilisation.
export async function commitments() {
  const d = await optional('reports/commitments?format=json');
  if (!d) { replace('cm-body', unavailable('Commitment reports')); return; }
  const cs = d.commitments || [];
  if (!cs.length) { replace('cm-body', el('p', { class: 'note' }, 'No commitments are configured.')); return; }
  const proj = (c, basis) => (c.projections || []).find((p) => p.basis === basis);
  const parts = [el('h2', {}, 'Commitments'), table([
    { label: 'Name', get: (c) => c.name },
    { label: 'Provider', get: (c) => c.provider },
    { label: 'Kind', get: (c) => c.kind },
    { label: 'Term', get: (c) => `${c.start.slice(0, 10)} → ${c.end.slice(0, 10)}` },
    { label: 'Elapsed', get: (c) => (100 * c.elapsed).toFixed(0) + '%', num: true },
    { label: 'Committed', get: (c) => usd(nanosToUSD(c.committed_nanos)), num: true },
    { label: 'Drawn', get: (c) => usd(nanosToUSD(c.drawn_nanos)), num: true },
    { label: 'Straight line', get: (c) => usd(nanosToUSD(c.expected_nanos)), num: true },
    { label: 'Ahead / behind', get: (c) => usd(nanosToUSD(c.ahead_nanos)), num: true, cls: (c) => (c.ahead_nanos < 0 ? 'bad' : 'good') },
    { label: 'Pace', get: (c) => (c.pace || 0).toFixed(2) + '×', num: true },
    { label: 'Shortfall (term pace)', get: (c) => usd(nanosToUSD(proj(c, 'term_to_date')?.shortfall_nanos)), num: true, cls: (c) => (proj(c, 'term_to_date')?.shortfall_nanos > 0 ? 'bad' : '') },
    { label: 'Shortfall (7-day pace)', get: (c) => usd(nanosToUSD(proj(c, 'last_7_days')?.shortfall_nanos)), num: true, cls: (c) => (proj(c, 'last_7_days')?.shortfall_nanos > 0 ? 'bad' : '') },
  ], cs)];
  const charts = [];
  cs.forEach((c, i) => {
    const id = 'cm-chart-' + i;
    parts.push(el('figure', {}, el('figcaption', {}, `${c.name}: drawn against the straight line, projected to the end of the term (USD)`), el('div', { id, class: 'chart' })));
    charts.push(() => {
      const xs = [Date.parse(c.start) / 1000, Date.parse(c.as_of) / 1000, Date.parse(c.end) / 1000];
      const usdOf = (n) => nanosToUSD(n);
      const series = [
        { label: 'straight line', values: [0, usdOf(c.expected_nanos), usdOf(c.committed_nanos)] },
        { label: 'drawn', values: [0, usdOf(c.drawn_nanos), null] },
      ];
      for (const basis of ['term_to_date', 'last_7_days']) {
        const p = proj(c, basis);
        if (p) series.push({ label: 'projected, ' + basis.replace(/_/g, ' ') + ' pace', values: [null, usdOf(c.drawn_nanos), usdOf(p.use_nanos)] });
      }
      timeChart(id, xs, series, usd, usdShort);
    });
    if (c.hours && c.hours.length) {
      const hid = 'cm-hours-' + i;
      parts.push(el('figure', {}, el('figcaption', {}, `${c.name}: hourly utilisation of the capacity bought (%)`), el('div', { id: hid, class: 'chart' })));
      charts.push(() => timeChart(hid, c.hours.map((h) => Date.parse(h.Start) / 1000),
        [{ label: 'used', values: c.hours.map((h) => (h.Available ? 100 * h.Used / h.Available : 0)) },
          { label: 'demand', values: c.hours.map((h) => (h.Available ? 100 * h.Demand / h.Available : 0)) }],
        percentAxis));
    }
  });
  replace('cm-body', ...parts);
  charts.forEach((f) => f());
}

// targets: each goal's actual against it, the forecast for the period's end
// with its 80% interval, and misses marked.
export async function targets() {
  const d = await optional('reports/targets?format=json');
  if (!d) { replace('tg-body', unavailable('Target reports')); return; }
  const ts = d.targets || [];
  if (!ts.length) { replace('tg-body', el('p', { class: 'note' }, 'No targets are configured.')); return; }
  const v = (t, n) => (t.unit === 'usd' ? usd(nanosToUSD(n)) : int(n));
  const bar = (t) => {
    const top = Math.max(t.goal, t.high, t.actual, 1);
    const at = (n) => `${(100 * n / top).toFixed(1)}%`;
    return el('div', { class: 'tbar', title: `actual ${v(t, t.actual)}, forecast ${v(t, t.low)}–${v(t, t.high)}, goal ${v(t, t.goal)}` },
      el('div', { class: 'tbar-int', style: `left:${at(t.low)};width:${at(t.high - t.low)}` }),
      el('div', { class: 'tbar-act', style: `width:${at(t.actual)}` }),
      el('div', { class: 'tbar-goal', style: `left:${at(t.goal)}` }));
  };
  replace('tg-body', el('h2', {}, 'Targets'), table([
    { label: 'Target', get: (t) => t.target },
    { label: 'Metric', get: (t) => t.metric },
    { label: 'Segment', get: (t) => t.segment || 'all' },
    { label: 'Period', get: (t) => t.period },
    { label: 'Goal', get: (t) => v(t, t.goal), num: true },
    { label: 'Actual', get: (t) => v(t, t.actual), num: true },
    { label: 'Pace', get: (t) => (t.pace || 0).toFixed(2) + '×', num: true },
    { label: 'Forecast (80% interval)', get: (t) => `${v(t, t.expected)} (${v(t, t.low)}–${v(t, t.high)})`, num: true },
    { label: 'Actual ▮, interval ▭, goal |', get: bar },
    { label: 'State', get: (t) => (t.error ? 'error: ' + t.error : t.state.replace(/_/g, ' ')), cls: (t) => (t.state === 'will_miss' || t.error ? 'bad' : t.state === 'at_risk' ? 'warn' : 'good') },
  ], ts));
}

// experiments puts each plan arm's revenue, cost and margin side by side.
export async function experiments() {
  const from = new Date(Date.now() - 30 * 86400 * 1000).toISOString();
  const d = await optional('reports/margin?' + qs({ from, group_by: 'plan,arm' }));
  if (!d) { replace('ex-body', unavailable('Experiment results (the books)')); return; }
  const rows = d.rows.filter((r) => r.group.arm);
  replace('ex-body',
    el('h2', {}, 'Pricing experiment arms, last 30 days'),
    rows.length ? table([
      { label: 'Arm', get: (r) => r.group.arm },
      { label: 'Plan', get: (r) => r.group.plan || '–' },
      { label: 'Requests', get: (r) => int(r.requests), num: true },
      { label: 'Revenue', get: (r) => usd(nanosToUSD(r.revenue_nanos)), num: true },
      { label: 'Cost', get: (r) => usd(nanosToUSD(r.cost_nanos)), num: true },
      { label: 'Margin', get: (r) => usd(nanosToUSD(r.margin_nanos)), num: true, cls: (r) => (r.margin_nanos < 0 ? 'bad' : '') },
      { label: 'Margin %', get: (r) => (r.margin_percent ? r.margin_percent + '%' : '–'), num: true },
      { label: 'Revenue / request', get: (r) => usd(r.requests ? nanosToUSD(r.revenue_nanos) / r.requests : 0), num: true },
    ], rows) : el('p', { class: 'note' }, 'No request in the period was assigned to an experiment arm.'));
}
