// Providers: each deployment's health now (this replica's live routing
// state: rotation, ejections, quota headroom) beside the last hour of every
// replica's stored attempts (TTFT p50/p95, error and 429 rates), and its
// stored usage over 24 hours.
import { api, optional, qs } from './api.js';
import { el, int, meter, nanosToUSD, pct, replace, table, usd, when } from './fmt.js';

const WINDOW = '1h';

// headroom is what is left of the per-minute quotas (requests and tokens),
// or "no quota".
function headroom(d) {
  const parts = [];
  for (const [unit, used, quota] of [['RPM', d.rpm, d.quota_rpm], ['TPM', d.tpm, d.quota_tpm]]) {
    if (quota) parts.push(el('div', {}, meter(used, quota, `${unit} ${int(Math.max(quota - used, 0))} of ${int(quota)} left`)));
  }
  return parts.length ? el('div', {}, parts) : el('span', { class: 'note' }, 'no quota');
}

const msOf = (v) => (v == null ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));

function state(d) {
  if (!d.live) return 'not in the routing table';
  if (d.ejected) return `ejected until ${when(d.ejected_until)}`;
  if (d.cooling_until) return `cooling until ${when(d.cooling_until)}`;
  return d.available ? 'in rotation' : (d.why || 'unavailable');
}

export async function providers() {
  const from = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const [live, traffic, usage] = await Promise.all([
    optional('deployments'),
    optional('traffic?' + qs({ window: WINDOW })),
    api('usage?' + qs({ from, group_by: 'deployment,provider,model' })),
  ]);
  // One row per deployment: the live table's, joined with the last hour's.
  const rows = new Map();
  for (const d of live ? live.deployments : []) rows.set(d.name, { ...d, live: true });
  for (const t of traffic ? traffic.deployments : []) {
    const r = rows.get(t.deployment) || { name: t.deployment, provider: t.provider, model: t.model, live: false };
    r.hour = t;
    rows.set(t.deployment, r);
  }
  const h = (r, f) => (r.hour ? f(r.hour) : '–');
  const notes = [];
  if (live) notes.push('State, in flight, ejections and quota headroom: this replica, now (ejections since it started).');
  else notes.push('Live routing state is not available from this admin listener.');
  if (traffic) {
    const cut = traffic.complete ? '' : ` The newest ${int(traffic.attempts_read)} attempts only, back to ${when(traffic.read_from)}.`;
    notes.push(`TTFT (ms), errors and 429s: every replica's attempts in the last hour, from the store (${int(traffic.attempts_read)} attempts).${cut}`);
  }
  replace('pr-live-note', notes.join(' '));
  replace('pr-live', table([
    { label: 'Deployment', get: (d) => d.name },
    { label: 'Provider', get: (d) => d.provider },
    { label: 'Model', get: (d) => d.model },
    { label: 'State', get: state, cls: (d) => (d.live && d.available ? 'good' : 'bad') },
    { label: 'In flight', get: (d) => (d.live ? int(d.in_flight) : '–'), num: true },
    { label: 'Ejections', get: (d) => (d.live ? int(d.ejections) : '–'), num: true, cls: (d) => (d.ejections ? 'bad' : '') },
    { label: 'TTFT p50', key: 'ttft-p50', get: (d) => h(d, (t) => msOf(t.ttft_p50_ms)), num: true },
    { label: 'TTFT p95', key: 'ttft-p95', get: (d) => h(d, (t) => msOf(t.ttft_p95_ms)), num: true },
    { label: 'Attempts 1h', get: (d) => h(d, (t) => int(t.attempts)), num: true },
    { label: 'Errors 1h', key: 'errors', get: (d) => h(d, (t) => pct(t.errors, t.attempts)), num: true, cls: (d) => (d.hour && d.hour.error_rate > 0.05 ? 'bad' : '') },
    { label: '429s 1h', key: 'throttled', get: (d) => h(d, (t) => pct(t.throttled, t.attempts)), num: true, cls: (d) => (d.hour && d.hour.throttle_rate > 0.05 ? 'bad' : '') },
    { label: 'Quota headroom', key: 'headroom', get: (d) => (d.live ? headroom(d) : '–') },
  ], [...rows.values()]));

  const used = [...usage.rows].sort((a, b) => b.attempts - a.attempts);
  replace('pr-usage', table([
    { label: 'Deployment', get: (r) => r.group.deployment },
    { label: 'Provider', get: (r) => r.group.provider },
    { label: 'Model', get: (r) => r.group.model },
    { label: 'Attempts', get: (r) => int(r.attempts), num: true },
    { label: 'Failed', get: (r) => `${int(r.failed)} (${pct(r.failed, r.attempts)})`, num: true, cls: (r) => (r.attempts && r.failed / r.attempts > 0.05 ? 'bad' : '') },
    { label: 'Tokens reported in/out', get: (r) => `${int(r.reported.prompt)} / ${int(r.reported.completion)}`, num: true },
    { label: 'Tokens estimated in/out', get: (r) => `${int(r.estimated.prompt)} / ${int(r.estimated.completion)}`, num: true },
    { label: 'Cost', get: (r) => usd(nanosToUSD(r.cost_nanos)), num: true },
    { label: 'Unpriced', get: (r) => int(r.unpriced_attempts), num: true, cls: (r) => (r.unpriced_attempts ? 'bad' : '') },
  ], used), el('p', { class: 'note' }, 'From the store: every replica\'s attempts.'));
}
