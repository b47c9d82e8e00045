// Tenants: the list with 30 days' usage, spend and (with the ledger) revenue
// and margin, and each budget's use in its current period; a tenant's keys;
// create a tenant (with a budget) and a key (the secret is shown once),
// rotate and revoke keys.
import { api, optional, qs } from './api.js';
import { el, int, meter, nanosToUSD, replace, table, usd, when } from './fmt.js';

let selected = null; // the tenant whose keys are shown

const day = (t) => new Date(t).toISOString().slice(0, 10);
const minute = (t) => new Date(t).toISOString().slice(0, 16).replace('T', ' ') + 'Z';

// budget shows a budget and its use in the current period: spend against
// the amount on the first line, the period, its start and reset on the
// second; "–" without a budget.
function budget(x) {
  const b = x.budget;
  if (!b) return '–';
  const u = x.budget_used;
  const kind = `${b.hard ? 'hard' : 'soft'}, per ${b.period.replace(':', ' ')}`;
  if (!u) {
    return el('div', {}, el('div', {}, `$${b.usd} ${kind}`), el('div', { class: 'note small' }, 'spend not known on this listener'));
  }
  const spent = Number(u.spend_usd);
  const when = u.resets_at ? ` from ${day(u.period_start)}, resets ${minute(u.resets_at)}` : ' (lifetime, never resets)';
  return el('div', {},
    el('div', {}, meter(spent, Number(b.usd), `${usd(spent)} of $${b.usd} (${u.used_percent.toFixed(1)}%)`)),
    el('div', { class: 'note small' }, kind + when));
}

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
    { label: 'Id', key: 'id', get: (t) => t.id },
    { label: 'Status', get: (t) => t.status, cls: (t) => (t.status === 'active' ? '' : 'bad') },
    { label: 'Plan', get: (t) => t.plan || '–' },
    { label: 'Attempts 30d', get: (t) => int(use.get(t.id)?.attempts), num: true },
    { label: 'Cost 30d', get: (t) => usd(nanosToUSD(use.get(t.id)?.cost_nanos)), num: true },
  ];
  if (books) {
    cols.push({ label: 'Revenue 30d', get: (t) => usd(nanosToUSD(rev.get(t.id)?.revenue_nanos)), num: true });
    cols.push({ label: 'Margin 30d', get: (t) => (rev.has(t.id) ? `${usd(nanosToUSD(rev.get(t.id).margin_nanos))} (${rev.get(t.id).margin_percent}%)` : '–'), num: true,
      cls: (t) => (rev.get(t.id)?.margin_nanos < 0 ? 'bad' : '') });
  }
  cols.push({ label: 'Budget used this period', key: 'budget', get: budget });
  replace('tn-note', 'Usage and cost from the store, revenue and margin from the books, over the last 30 days. '
    + 'Budget used is the spend admission counts against the budget in its current period (every replica\'s, with Redis). Click a tenant for its keys.');
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
    { label: 'Last used (UTC)', get: (k) => (k.last_used_at ? k.last_used_at.slice(5, 16).replace('T', ' ') : '–') },
    { label: 'Budget used this period', key: 'budget', get: budget },
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
    if (f.get('budget_usd')) body.budget = { usd: f.get('budget_usd'), period: f.get('budget_period'), hard: f.get('budget_hard') === 'on' };
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
