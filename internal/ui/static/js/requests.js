// Requests: the latest attempts, newest first, filtered by tenant, key,
// model and status, from GET /admin/v1/events (keyset pages, so "Older"
// stays fast however far back it goes).
import { api, qs } from './api.js';
import { int, replace, table, usd, when } from './fmt.js';

let rows = [];
let next = '';
let paged = false; // after "Older" the refresh leaves the list alone

function filters() {
  return Object.fromEntries(new FormData(document.getElementById('rq-filter')));
}

function render() {
  replace('rq-list', table([
    { label: 'Time (UTC)', get: (e) => when(e.time) },
    { label: 'Request', get: (e) => e.request_id },
    { label: 'Try', get: (e) => e.attempt, num: true },
    { label: 'Tenant', get: (e) => e.tenant_id || '–' },
    { label: 'Key', get: (e) => e.key_name || e.key_id },
    { label: 'Model', get: (e) => e.model },
    { label: 'Route', get: (e) => `${e.deployment} (${e.provider})` },
    { label: 'Status', get: (e) => `${e.outcome} ${e.status || ''}`, cls: (e) => (e.outcome === 'completed' ? '' : 'bad') },
    { label: 'Tokens in/out', get: (e) => `${int(e.usage.prompt)} / ${int(e.usage.completion)}${e.usage_source === 'estimated' ? ' est.' : ''}`, num: true },
    { label: 'Cost', get: (e) => (e.unpriced ? 'unpriced' : usd(Number(e.cost_usd))), num: true },
    { label: 'Price', get: (e) => e.price_version || '–' },
    { label: 'TTFT / total ms', get: (e) => `${e.ttft_ms ? e.ttft_ms.toFixed(0) : '–'} / ${e.duration_ms.toFixed(0)}`, num: true },
  ], rows));
  document.getElementById('rq-more').hidden = !next;
}

async function load(before) {
  const page = await api('events?' + qs({ ...filters(), limit: 100, before }));
  rows = before ? rows.concat(page.events) : page.events;
  next = page.next_before || '';
  render();
}

export async function requests() {
  if (!paged) await load();
}

export function setupRequests(report) {
  document.getElementById('rq-filter').addEventListener('submit', (ev) => {
    ev.preventDefault();
    paged = false;
    load().catch(report);
  });
  document.getElementById('rq-more').addEventListener('click', () => {
    paged = true;
    load(next).catch(report);
  });
}
