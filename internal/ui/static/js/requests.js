// Requests: the latest attempts, newest first, filtered by tenant, key,
// model and status, from GET /admin/v1/events (keyset pages, so "Older"
// stays fast however far back it goes), each with its route, tokens, cost
// at its price version and, on the charged attempt, what the request was
// charged.
import { api, optional, qs } from './api.js';
import { el, int, replace, table, usd } from './fmt.js';

let rows = [];
let next = '';
let paged = false; // after "Older" the refresh leaves the list alone

function filters() {
  return Object.fromEntries(new FormData(document.getElementById('rq-filter')));
}

// two puts a detail under a cell's main value, in small type.
// wrap lets a long detail (an error) wrap instead of widening the column.
const two = (main, detail, attrs = {}, wrap = false) => el('div', attrs, el('div', {}, main),
  detail ? el('div', { class: wrap ? 'note small detail' : 'note small' }, detail) : '');

const time = (t) => new Date(t).toISOString().slice(5, 19).replace('T', ' ');

// Tenant names by id, from the tenants list, so a row names its tenant
// (the id is in the cell's tooltip and in the filter).
let names = new Map();
let namesAt = 0;

async function tenantNames(events) {
  const age = Date.now() - namesAt;
  // Reread after a minute, or sooner (not more than every 5 s) when a row
  // has a tenant not seen yet, such as one just created.
  if (age < 60000 && (age < 5000 || events.every((e) => !e.tenant_id || names.has(e.tenant_id)))) return;
  namesAt = Date.now();
  const list = await optional('tenants?limit=1000');
  if (list) names = new Map(list.data.map((t) => [t.id, t.name]));
}

function render() {
  replace('rq-list', table([
    { label: 'Time (UTC) / request', get: (e) => two(time(e.time), e.request_id) },
    { label: 'Try', get: (e) => e.attempt, num: true },
    { label: 'Tenant / key', key: 'tenant', get: (e) => two(names.get(e.tenant_id) || e.tenant_id || '–', e.key_name || e.key_id, { title: e.tenant_id }) },
    { label: 'Model / route', key: 'route', get: (e) => two(e.model, `${e.deployment} (${e.provider})`) },
    { label: 'Status', get: (e) => two(`${e.outcome} ${e.status || ''}`, e.error, {}, true), cls: (e) => (e.outcome === 'completed' ? '' : 'bad') },
    { label: 'Tokens in / out', key: 'tokens', get: (e) => `${int(e.usage.prompt_tokens)} / ${int(e.usage.completion_tokens)}${e.usage_source === 'estimated' ? ' est.' : ''}`, num: true },
    { label: 'Cost / price version', key: 'cost', get: (e) => two(e.unpriced ? 'unpriced' : usd(Number(e.cost_usd)), e.price_version), num: true },
    { label: 'Charged', key: 'charged', get: (e) => (e.charged_usd !== undefined ? usd(Number(e.charged_usd)) : '–'), num: true },
    { label: 'TTFT / total ms', get: (e) => `${e.ttft_ms ? e.ttft_ms.toFixed(0) : '–'} / ${e.duration_ms.toFixed(0)}`, num: true },
  ], rows));
  document.getElementById('rq-more').hidden = !next;
}

async function load(before) {
  const page = await api('events?' + qs({ ...filters(), limit: 100, before }));
  await tenantNames(page.events);
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
