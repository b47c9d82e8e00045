// The dashboard shell: sign-in, tabs, and a refresh of the visible page
// every 10 seconds without reloading.
import { api, token } from './api.js';
import { overview } from './overview.js';
import { providers } from './providers.js';
import { setupTenants, tenants } from './tenants.js';
import { requests, setupRequests } from './requests.js';
import { commitments, experiments, targets } from './reports.js';

const pages = { overview, providers, tenants, requests, commitments, targets, experiments };
const REFRESH_MS = 10000;
let current = 'overview';
let timer = null;
const $ = (id) => document.getElementById(id);

function status(text, bad = false) {
  const s = $('status');
  s.textContent = text;
  s.className = bad ? 'error' : '';
}

function report(e) { status(e.message || String(e), true); }

async function refresh() {
  clearTimeout(timer);
  if (!token.get()) return;
  try {
    await pages[current]();
    status('Updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    report(e);
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

function show(tab) {
  current = tab;
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === tab);
  for (const p of document.querySelectorAll('section.page')) p.hidden = p.id !== tab;
  history.replaceState(null, '', '#' + tab);
  refresh();
}

function signedIn(on) {
  $('signin').hidden = on;
  $('tabs').hidden = !on;
  $('signout').hidden = !on;
  if (on) show(pages[location.hash.slice(1)] ? location.hash.slice(1) : 'overview');
  else {
    clearTimeout(timer);
    for (const p of document.querySelectorAll('section.page')) p.hidden = true;
    status('');
  }
}

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  token.set($('token').value.trim());
  $('token').value = '';
  try {
    await api('tenants?limit=1').catch((e) => { if (e.status !== 503) throw e; });
    $('signin-error').textContent = '';
    signedIn(true);
  } catch (e) {
    token.clear();
    $('signin-error').textContent = e.status === 401 ? 'That token is wrong.' : e.message;
  }
});
$('signout').addEventListener('click', () => { token.clear(); signedIn(false); });
window.addEventListener('unauthorized', () => {
  token.clear();
  $('signin-error').textContent = 'The admin token was refused; sign in again.';
  signedIn(false);
});
for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => show(b.dataset.tab));
for (const id of ['ov-period', 'ov-split']) $(id).addEventListener('change', refresh);
setupTenants(report);
setupRequests(report);
signedIn(!!token.get());
