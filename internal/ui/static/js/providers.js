// Providers: each deployment's live routing state (this replica's counters)
// and its stored usage: attempts, failures, reported and estimated tokens, cost.
import { api, optional, qs } from './api.js';
import { el, int, nanosToUSD, pct, replace, table, usd, when } from './fmt.js';

export async function providers() {
  const from = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const [live, usage] = await Promise.all([
    optional('deployments'),
    api('usage?' + qs({ from, group_by: 'deployment,provider,model' })),
  ]);
  if (!live) {
    replace('pr-live-note', 'Live routing state is not available from this admin listener.');
    replace('pr-live');
  } else {
    replace('pr-live-note', 'Counters since this replica started. TTFT is the router\'s running estimate.');
    replace('pr-live', table([
      { label: 'Deployment', get: (d) => d.name },
      { label: 'Provider', get: (d) => d.provider },
      { label: 'Model', get: (d) => d.model },
      { label: 'State', get: (d) => d.ejected ? `ejected until ${when(d.ejected_until)}` : d.cooling_until ? `cooling until ${when(d.cooling_until)}` : d.available ? 'in rotation' : (d.why || 'unavailable'),
        cls: (d) => (d.available ? 'good' : 'bad') },
      { label: 'In flight', get: (d) => int(d.in_flight), num: true },
      { label: 'TTFT ms', get: (d) => (d.ttft_ms ? d.ttft_ms.toFixed(0) : '–'), num: true },
      { label: 'Attempts', get: (d) => int(d.attempts), num: true },
      { label: 'Errors', get: (d) => pct(d.failures + d.timeouts, d.attempts), num: true, cls: (d) => (d.attempts && (d.failures + d.timeouts) / d.attempts > 0.05 ? 'bad' : '') },
      { label: '429s', get: (d) => pct(d.throttled, d.attempts), num: true },
      { label: 'Ejections', get: (d) => int(d.ejections), num: true },
      { label: 'RPM used', get: (d) => (d.quota_rpm ? `${int(d.rpm)} / ${int(d.quota_rpm)}` : int(d.rpm)), num: true },
      { label: 'TPM used', get: (d) => (d.quota_tpm ? `${int(d.tpm)} / ${int(d.quota_tpm)}` : int(d.tpm)), num: true },
      { label: 'Cost', get: (d) => usd(Number(d.cost_usd)), num: true },
    ], live.deployments));
  }
  const rows = [...usage.rows].sort((a, b) => b.attempts - a.attempts);
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
  ], rows), el('p', { class: 'note' }, 'From the store: every replica\'s attempts.'));
}
