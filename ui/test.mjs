// Browser test of the dashboard in headless Chromium (Debian's, through
// playwright-core). Run by ui/test.sh against a running demo:
//   ADMIN_URL, ADMIN_TOKEN: the demo's admin listener and token
//   GATEWAY_URL: its OpenAI-style base URL (…/v1); MODEL: a chat model it serves
//   SHOTS: where screenshots go
// It signs in, opens every tab with data (and checks the columns the issue
// asks for: route reasons on the overview, TTFT p50/p95, error and 429 rates
// and quota headroom on providers, budget used on tenants), creates a tenant
// with a budget and a key from the page, sends a request with that key and
// finds it in the requests list and in the tenant's budget used, revokes the
// key from the page and sees the next request refused.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const { ADMIN_URL, ADMIN_TOKEN, GATEWAY_URL, MODEL = 'gpt-4o-mini', SHOTS = 'screenshots' } = process.env;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!ADMIN_URL || !ADMIN_TOKEN || !GATEWAY_URL) throw new Error('set ADMIN_URL, ADMIN_TOKEN and GATEWAY_URL');
mkdirSync(SHOTS, { recursive: true });

const fail = (msg) => { throw new Error(msg); };
const step = (msg) => console.log('ui test:', msg);

async function chat(key) {
  const res = await fetch(GATEWAY_URL + '/chat/completions', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello from the dashboard test' }] }),
  });
  await res.text();
  return res.status;
}

// cells returns the text of every cell of column col (data-col) in root.
const cells = (page, root, col) => page.locator(`${root} td[data-col="${col}"]`).allTextContents();

// checkOverview: the charts drew, and every cloud's row says why it got its
// traffic: a share, and reasons whose percentages add up to about 100.
async function checkOverview(page) {
  await page.waitForSelector('#ov-cost .uplot');
  await page.waitForSelector('#ov-why td[data-col="why"] .reason');
  if (!(await page.locator('#ov-books').isHidden())) await page.waitForSelector('#ov-rev-split .uplot');
  const whys = await cells(page, '#ov-why', 'why');
  const shares = await cells(page, '#ov-why', 'share');
  if (!whys.length || !shares.some((s) => /^\d+(\.\d)?% · \d/.test(s))) fail('overview share of traffic: ' + shares.join(' | '));
  if (!whys.some((w) => w.includes('first choice under '))) fail('no route reason names a policy: ' + whys.join(' | '));
  for (const w of whys) {
    if (w.includes('no attempts sampled')) continue;
    const sum = [...w.matchAll(/ (\d+(?:\.\d)?)%/g)].reduce((s, m) => s + Number(m[1]), 0);
    if (Math.abs(sum - 100) > 1) fail(`route reasons add up to ${sum}%: ${w}`);
  }
}

// checkProviders: TTFT p50/p95 have numbers (p95 at least p50), error and
// 429 rates are percentages, and quota headroom is shown.
async function checkProviders(page) {
  await page.waitForSelector('#pr-live table tbody tr');
  const p50 = await cells(page, '#pr-live', 'ttft-p50');
  const p95 = await cells(page, '#pr-live', 'ttft-p95');
  let numbered = 0;
  p50.forEach((v, i) => {
    if (v === '–') return;
    numbered++;
    if (!(Number(v) > 0) || !(Number(p95[i]) >= Number(v))) fail(`TTFT p50 ${v}, p95 ${p95[i]}`);
  });
  if (!numbered) fail('no deployment shows a TTFT p50');
  for (const col of ['errors', 'throttled']) {
    const vs = (await cells(page, '#pr-live', col)).filter((v) => v !== '–');
    if (!vs.length || !vs.every((v) => /^\d+\.\d%$/.test(v))) fail(`${col} rates: ${vs.join(' | ')}`);
  }
  const room = await cells(page, '#pr-live', 'headroom');
  if (!room.length || !room.every((v) => /no quota|[RT]PM [\d,]+ of [\d,]+ left/.test(v))) fail('quota headroom: ' + room.join(' | '));
}

// checkFits: the page reads on a laptop screen (the test's 1440 px) with
// no sideways scrolling, the page's or a table's.
async function checkFits(page, tab) {
  const wide = await page.evaluate(() => {
    const out = [];
    if (document.documentElement.scrollWidth > window.innerWidth) out.push(`page ${document.documentElement.scrollWidth}px`);
    for (const s of document.querySelectorAll('section.page:not([hidden]) .scroll')) {
      if (s.scrollWidth > s.clientWidth + 1) out.push(`a table in #${s.parentElement.id}: ${s.scrollWidth}px in ${s.clientWidth}px`);
    }
    return out;
  });
  if (wide.length) fail(`${tab} is wider than the window: ${wide.join(', ')}`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // Failed loads are reported by URL (the console's own line has none).
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => d.accept());

  step('sign-in refuses a wrong token');
  await page.goto(ADMIN_URL + '/ui/');
  await page.fill('#token', 'wrong-token');
  await page.click('#signin-form button');
  await page.waitForSelector('#signin-error:has-text("wrong")');
  errors.length = 0; // the refused call's 401 is logged by the browser

  step('sign in');
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#signin-form button');
  await page.waitForSelector('#tabs:not([hidden])');
  if (page.url().includes(ADMIN_TOKEN)) fail('the token is in the URL');

  const tabs = {
    overview: '#ov-kpis .kpi',
    providers: '#pr-usage table tbody tr',
    tenants: '#tn-list > *',
    requests: '#rq-list table tbody tr',
    commitments: '#cm-body > *',
    targets: '#tg-body > *',
    experiments: '#ex-body > *',
  };
  for (const [tab, ready] of Object.entries(tabs)) {
    step('tab ' + tab);
    await page.click(`#tabs button[data-tab="${tab}"]`);
    await page.waitForSelector(`section#${tab}:not([hidden]) ${ready}`, { timeout: 15000 });
    if (tab === 'overview') await checkOverview(page);
    if (tab === 'providers') await checkProviders(page);
    await checkFits(page, tab);
    await page.screenshot({ path: `${SHOTS}/${tab}.png`, fullPage: true });
  }

  step('create a tenant with a budget and a key from the page');
  const name = 'ui-test-' + Date.now();
  await page.click('#tabs button[data-tab="tenants"]');
  await page.fill('#tn-create input[name="name"]', name);
  await page.fill('#tn-create input[name="budget_usd"]', '5');
  await page.selectOption('#tn-create select[name="budget_period"]', 'day');
  await page.click('#tn-create button');
  const row = page.locator('#tn-list tr.sel', { hasText: name });
  await row.waitFor();
  const tenantId = (await row.locator('td[data-col="id"]').textContent()).trim();
  await page.waitForSelector('#key-create:not([hidden])');
  await page.fill('#key-create input[name="name"]', 'sdk');
  await page.click('#key-create button');
  const secret = (await page.locator('#secret-value').textContent()).trim();
  if (!secret.startsWith('sk-')) fail('no secret shown: ' + secret);
  await checkFits(page, 'tenants with keys');
  await page.screenshot({ path: `${SHOTS}/tenants-created.png`, fullPage: true });

  step('a request with the new key appears in the requests list');
  const status = await chat(secret);
  if (status !== 200) fail(`request with the new key: ${status}`);
  await page.click('#tabs button[data-tab="requests"]');
  await page.fill('#rq-filter input[name="tenant"]', tenantId);
  // It shows once the journal reaches the store, and its charge once the
  // books have it.
  let found = false, charged = '';
  for (let i = 0; i < 30 && !(found && charged.startsWith('$')); i++) {
    await page.click('#rq-filter button');
    await page.waitForTimeout(500);
    // The row names the tenant, with its id in the tooltip.
    const row = page.locator('#rq-list tbody tr', { has: page.locator(`td[data-col="tenant"] [title="${tenantId}"]`), hasText: name });
    found = (await row.count()) > 0;
    if (found) charged = (await row.first().locator('td[data-col="charged"]').textContent()).trim();
  }
  if (!found) fail('the new tenant\'s request is not in the requests list');
  if (!/^\$\d/.test(charged)) fail('the new tenant\'s request shows no charge: ' + charged);
  const tokens = await page.locator('#rq-list tbody tr', { hasText: name }).first().locator('td[data-col="tokens"]').textContent();
  if (!/^[1-9][\d,]* \/ [1-9]/.test(tokens.trim())) fail('the new tenant\'s request shows no tokens: ' + tokens);
  await page.screenshot({ path: `${SHOTS}/requests-filtered.png`, fullPage: true });

  step('the request shows in the tenant\'s budget used');
  await page.click('#tabs button[data-tab="tenants"]');
  let used = '';
  for (let i = 0; i < 30; i++) {
    used = await page.locator('#tn-list tr', { hasText: name }).locator('td[data-col="budget"]').textContent();
    if (!/hard, per day from \d{4}-\d\d-\d\d, resets \d{4}-\d\d-\d\d 00:00Z/.test(used)) fail('budget column: ' + used);
    const m = used.match(/\$([0-9.]+) of \$5(?:\.00)? \(([0-9.]+)%\)/);
    if (m && Number(m[1]) > 0) break;
    used = '';
    await page.click('#tabs button[data-tab="tenants"]');
    await page.waitForTimeout(500);
  }
  if (!used) fail('the tenant\'s budget used shows no spend after its request');
  await page.screenshot({ path: `${SHOTS}/tenants-budget.png`, fullPage: true });

  step('a key revoked from the page is refused');
  await page.click('#tabs button[data-tab="tenants"]');
  await page.locator('#tn-list tr', { hasText: name }).click();
  await page.locator('#tn-keys tr', { hasText: 'sdk' }).locator('button[data-action="revoke"]').click();
  await page.locator('#tn-keys tr', { hasText: 'revoked' }).waitFor();
  const after = await chat(secret);
  if (after !== 401) fail(`request with the revoked key: ${after}, want 401`);

  step('sign out forgets the token');
  await page.click('#signout');
  if (await page.evaluate(() => sessionStorage.length) !== 0) fail('token left in sessionStorage');
  if (errors.length) fail('browser errors: ' + errors.join(' | '));
  step('ok; screenshots in ' + SHOTS);
} finally {
  await browser.close();
}
