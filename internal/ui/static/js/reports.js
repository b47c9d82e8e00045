// Commitments, targets and experiments: shown when this build's admin API has
// the report, "not available" when it answers 404. The commitments and
// targets reports are rendered generically: scalar fields as figures, each
// list of records as a table.
import { optional, qs } from './api.js';
import { el, int, nanosToUSD, replace, table, usd } from './fmt.js';

const unavailable = (what) => el('p', { class: 'note' }, `${what} are not available from this admin listener.`);

function flat(o, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(o || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) flat(v, prefix + k + '.', out);
    else if (!Array.isArray(v)) out[prefix + k] = v;
  }
  return out;
}

function show(v, k) {
  if (typeof v === 'number' && /nanos$/.test(k)) return usd(nanosToUSD(v));
  if (typeof v === 'number') return int(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return v ?? '–';
}

// generic renders any JSON report.
function generic(data, depth = 0) {
  const parts = [];
  const scalars = flat(data);
  const keys = Object.keys(scalars);
  if (keys.length && depth === 0) {
    parts.push(el('div', { class: 'kpis' }, keys.map((k) => el('div', { class: 'kpi' }, el('span', {}, k), el('b', {}, show(scalars[k], k))))));
  }
  for (const [k, v] of Object.entries(data || {})) {
    if (!Array.isArray(v)) continue;
    parts.push(el('h2', {}, k.replace(/_/g, ' ')));
    const rows = v.map((r) => (r && typeof r === 'object' ? flat(r) : { value: r }));
    const cols = [...new Set(rows.flatMap(Object.keys))];
    // Misses are shown plainly: a state of miss/behind/at_risk is marked.
    parts.push(table(cols.map((c) => ({
      label: c.replace(/_/g, ' '), get: (r) => show(r[c], c), num: typeof rows.find((r) => r[c] != null)?.[c] === 'number',
      cls: (r) => (/^(miss|missed|behind|at_risk|short|shortfall|over)$/i.test(String(r[c])) ? 'bad' : ''),
    })), rows));
  }
  return parts.length ? parts : [el('p', { class: 'note' }, 'Nothing to show yet.')];
}

export async function commitments() {
  const d = await optional('reports/commitments?format=json');
  replace('cm-body', ...(d ? generic(d) : [unavailable('Commitment reports')]));
}

export async function targets() {
  const d = await optional('reports/targets?format=json');
  replace('tg-body', ...(d ? generic(d) : [unavailable('Target reports')]));
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
