// Tenants: the list with 30 days' usage, spend and (with the ledger) revenue
// and margin; a tenant's keys; create a tenant and a key (the secret is shown
// once), rotate and revoke keys.
import { api, optional, qs } from './api.js';
import { el, int, nanosToUSD, replace, table, usd, when } from './fmt.js';

let selected = null; // the tenant whose keys are shown

export async function tenants() {
  const from = new Date(Date.now() - 30 * 86400 * 1000).toISOString();
  const [list, usage, books] = await Promise.all([
    api('tenants?limit=1000'),
    api('usage?' + qs({ from, group_by: 'tenant' })),
    optional('reports/margin?' + qs({ from, group_by: 'tenant' })),
  ]);
  const use = new Map(usage.rows.map((r) => [r.group.tenant, r]));
  const rev = new Map((books ? books.rows : []).map((r) => [r.group.tenant, r]));
  const cols = [
    { label: 'Name', get: (t) => t.name },
    { label: 'Id', get: (t) => t.id },
    { label: 'Status', get: (t) => t.status, cls: (t) => (t.status === 'active' ? '' : 'bad') },
    { label: 'Plan', get: (t) => t.plan || '–' },
    { label: 'Attempts 30d', get: (t) => int(use.get(t.id)?.attempts), num: true },
    { label: 'Spend 30d', get: (t) => usd(nanosToUSD(use.get(t.id)?.cost_nanos)), num: true },
    { label: 'Budget', get: (t) => (t.budget ? `$${t.budget.usd} / ${t.budget.period}${t.budget.hard ? ' (hard)' : ''}` : '–') },
  ];
  if (books) {
    cols.push({ label: 'Revenue 30d', get: (t) => usd(nanosToUSD(rev.get(t.id)?.revenue_nanos)), num: true });
    cols.push({ label: 'Margin 30d', get: (t) => (rev.has(t.id) ? `${usd(nanosToUSD(rev.get(t.id).margin_nanos))} (${rev.get(t.id).margin_percent}%)` : '–'), num: true });
  }
  replace('tn-list', table(cols, list.data, {
    onRow: (t) => { selected = t; tenants(); },
    selected: (t) => selected && t.id === selected.id,
  }));
  await keys();
}

async function keys() {
  const form = document.getElementById('key-create');
  if (!selected) { form.hidden = true; return; }
  form.hidden = false;
  replace('tn-keys-title', `Keys of ${selected.name}`);
  const list = await api(`tenants/${encodeURIComponent(selected.id)}/keys?limit=1000`);
  replace('tn-keys', table([
    { label: 'Name', get: (k) => k.name },
    { label: 'Prefix', get: (k) => k.prefix },
    { label: 'Status', get: (k) => k.status, cls: (k) => (k.status === 'active' ? '' : 'bad') },
    { label: 'Last used', get: (k) => when(k.last_used_at) },
    { label: '', get: (k) => (k.status === 'revoked' ? '' : el('span', {},
      el('button', { type: 'button', 'data-action': 'rotate', onclick: () => rotate(k) }, 'Rotate'), ' ',
      el('button', { type: 'button', 'data-action': 'revoke', onclick: () => revoke(k) }, 'Revoke'))) },
  ], list.data));
}

function showSecret(k, what) {
  const box = document.getElementById('secret');
  box.hidden = false;
  box.replaceChildren(
    el('p', {}, el('b', {}, `${what} key ${k.name}: copy the secret now, it is not shown again.`)),
    el('code', { id: 'secret-value' }, k.key),
    k.previous_valid_until ? el('p', { class: 'note' }, `The old secret works until ${when(k.previous_valid_until)}.`) : '',
  );
}

async function rotate(k) {
  if (!confirm(`Rotate key ${k.name}? The old secret keeps working for the grace period.`)) return;
  showSecret(await api(`keys/${encodeURIComponent(k.id)}/rotate`, { method: 'POST', body: {} }), 'Rotated');
  await keys();
}

async function revoke(k) {
  if (!confirm(`Revoke key ${k.name}? Requests with it are refused at once.`)) return;
  await api(`keys/${encodeURIComponent(k.id)}/revoke`, { method: 'POST' });
  await keys();
}

export function setupTenants(report) {
  document.getElementById('tn-create').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const body = { name: f.get('name') };
    if (f.get('plan')) body.plan = f.get('plan');
    try {
      selected = await api('tenants', { method: 'POST', body });
      ev.target.reset();
      document.getElementById('secret').hidden = true;
      await tenants();
    } catch (e) { report(e); }
  });
  document.getElementById('key-create').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    try {
      const k = await api(`tenants/${encodeURIComponent(selected.id)}/keys`, { method: 'POST', body: { name: f.get('name') } });
      ev.target.reset();
      showSecret(k, 'New');
      await keys();
    } catch (e) { report(e); }
  });
}
