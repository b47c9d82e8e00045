// Browser test of the dashboard in headless Chromium (Debian's, through
// playwright-core). Run by ui/test.sh against a running demo:
//   ADMIN_URL, ADMIN_TOKEN: the demo's admin listener and token
//   GATEWAY_URL: its OpenAI-style base URL (…/v1); MODEL: a chat model it serves
//   SHOTS: where screenshots go
// It signs in, opens every tab with data, creates a tenant and a key from the
// page, sends a request with that key and finds it in the requests list,
// revokes the key from the page and sees the next request refused.
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
    if (tab === 'overview') await page.waitForSelector('#ov-cost .uplot');
    if (tab === 'providers') await page.waitForSelector('#pr-live table tbody tr');
    await page.screenshot({ path: `${SHOTS}/${tab}.png`, fullPage: true });
  }

  step('create a tenant and a key from the page');
  const name = 'ui-test-' + Date.now();
  await page.click('#tabs button[data-tab="tenants"]');
  await page.fill('#tn-create input[name="name"]', name);
  await page.click('#tn-create button');
  const row = page.locator('#tn-list tr.sel', { hasText: name });
  await row.waitFor();
  const tenantId = (await row.locator('td').nth(1).textContent()).trim();
  await page.waitForSelector('#key-create:not([hidden])');
  await page.fill('#key-create input[name="name"]', 'sdk');
  await page.click('#key-create button');
  const secret = (await page.locator('#secret-value').textContent()).trim();
  if (!secret.startsWith('sk-')) fail('no secret shown: ' + secret);
  await page.screenshot({ path: `${SHOTS}/tenants-created.png`, fullPage: true });

  step('a request with the new key appears in the requests list');
  const status = await chat(secret);
  if (status !== 200) fail(`request with the new key: ${status}`);
  await page.click('#tabs button[data-tab="requests"]');
  await page.fill('#rq-filter input[name="tenant"]', tenantId);
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    await page.click('#rq-filter button');
    await page.waitForTimeout(500);
    found = (await page.locator('#rq-list tbody tr', { hasText: tenantId }).count()) > 0;
  }
  if (!found) fail('the new tenant\'s request is not in the requests list');
  await page.screenshot({ path: `${SHOTS}/requests-filtered.png`, fullPage: true });

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
