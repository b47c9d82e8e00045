// Formatting and small DOM helpers shared by the pages.

// Okabe–Ito, in the order series are assigned.
export const palette = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

// colourOf gives each name (provider, model, series) one colour for the
// whole session, so a cloud keeps its colour across charts and refreshes.
const colours = new Map();
export function colourOf(name) {
  if (!colours.has(name)) colours.set(name, palette[colours.size % palette.length]);
  return colours.get(name);
}

export const nanosToUSD = (n) => Number(n || 0) / 1e9;

export function usd(v) {
  const x = Number(v || 0);
  if (x === 0) return '$0.00';
  const a = Math.abs(x);
  const d = a >= 100 ? 0 : a >= 1 ? 2 : a >= 0.01 ? 4 : 6;
  // Below a hundredth of a cent, down to the nano-dollar: a cheap embedding
  // costs a fraction of a micro-dollar.
  const most = a >= 0.0001 ? d : 9;
  return (x < 0 ? '-$' : '$') + a.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: most });
}

// usdShort is for axis ticks: two significant digits below a dollar.
export function usdShort(v) {
  const a = Math.abs(v);
  if (a === 0) return '$0';
  return (v < 0 ? '-$' : '$') + (a >= 1 ? a.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(Number(a.toPrecision(2))));
}

export const int = (v) => Number(v || 0).toLocaleString('en-US');

export function pct(num, den) {
  if (!den) return '–';
  return (100 * num / den).toFixed(1) + '%';
}

export function when(t) {
  if (!t) return '–';
  const d = new Date(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// el builds an element: el('td', {class: 'num'}, 'text', child...). Text is
// always set as text, never as HTML, so names from the API cannot inject.
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    // Through the CSSOM: the CSP refuses style attributes, not style properties.
    else if (k === 'style') e.style.cssText = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : String(k));
  return e;
}

// table renders rows under columns [{label, get(row), num, cls(row), key}];
// key, when set, names the column's cells (data-col) for tests and styles.
export function table(columns, rows, { onRow, selected } = {}) {
  if (!rows.length) return el('p', { class: 'note' }, 'Nothing yet.');
  const head = el('tr', {}, columns.map((c) => el('th', { class: c.num ? 'num' : null, 'data-col': c.key }, c.label)));
  const body = rows.map((r) => {
    const tr = el('tr', { class: selected && selected(r) ? 'sel' : null },
      columns.map((c) => {
        const v = c.get(r);
        return el('td', { class: [c.num ? 'num' : '', c.cls ? c.cls(r) : ''].join(' ').trim() || null, 'data-col': c.key },
          v instanceof Node ? v : (v ?? '–'));
      }));
    if (onRow) { tr.style.cursor = 'pointer'; tr.addEventListener('click', () => onRow(r)); }
    return tr;
  });
  return el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, head), el('tbody', {}, body)));
}

export function replace(id, ...kids) {
  const n = document.getElementById(id);
  n.replaceChildren(...kids);
  return n;
}

// meter shows used against a limit as a bar with its text beside it: the
// words carry the number, the bar the proportion. Blue below 80%, orange
// from 80%, vermilion at 100% and over, with the level also written out
// (and striped when full), so no reader needs to tell the colours apart.
export function meter(used, limit, text) {
  const share = limit > 0 ? used / limit : 0;
  const level = share >= 1 ? 'full' : share >= 0.8 ? 'high' : 'ok';
  return el('span', { class: 'meter-wrap' },
    el('span', { class: `meter meter-${level}`, title: pct(used, limit) + ' used' },
      el('span', { style: `width:${Math.min(100, 100 * share).toFixed(1)}%` })),
    ' ', text, level === 'full' ? ' (limit reached)' : '');
}

// percentAxis formats a percentage (0 to 100 and over) with the precision
// a small one needs: 0.04% must not read as 0%.
export function percentAxis(v) {
  const a = Math.abs(v);
  return (a === 0 ? '0' : a < 1 ? v.toFixed(2) : a < 10 ? v.toFixed(1) : v.toFixed(0)) + '%';
}
