// Small DOM helpers: elements from data (text is always text, never HTML), and the
// loading / empty / error / withheld states every view shows the same way.

import { grantWords, has, t } from './i18n.js';

export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    // Through the CSSOM: the page's content security policy refuses style attributes.
    else if (name === 'style') element.style.cssText = value;
    else if (name === 'value' || name === 'checked' || name === 'selected') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A link inside the app: a real href (shareable, opens in a new tab), followed without a
// page load.
export function link(href, ...children) {
  return h('a', { href, 'data-nav': true }, ...children);
}

export function loading() {
  return h('p', { class: 'state loading', 'data-testid': 'loading', role: 'status' },
    t('state.loading'));
}

export function empty(message) {
  return h('p', { class: 'state empty', 'data-testid': 'empty' }, message);
}

// An error: what it means in the reader's language, the server's own words below, and a
// way to try again.
export function failure(error, retry) {
  const code = error.code ?? 'INTERNAL';
  return h('div', { class: 'state error', 'data-testid': 'error', role: 'alert',
    'data-code': code },
  h('p', null, has(`error.${code}`) ? t(`error.${code}`) : t('state.error')),
  error.message ? h('p', { class: 'detail' }, error.message) : null,
  retry ? h('button', { type: 'button', 'data-testid': 'retry', onclick: retry },
    t('state.retry')) : null);
}

// A part the reader may not see, said in plain words (what kind of data it is, and what
// would show it); the grant itself stays in an attribute.
export function withheld(error) {
  const purpose = error.missing === 'purpose';
  return h('p', { class: 'state withheld', 'data-testid': 'withheld',
    'data-required': error.required ?? '', 'data-missing': error.missing ?? '' },
  t(purpose ? 'state.purpose' : 'state.withheld', { what: grantWords(error.required) }));
}

export function notFound(detail = null) {
  return h('div', { class: 'state empty', 'data-testid': 'not-found', 'data-code': 'NOT_FOUND' },
    h('h1', null, t('state.notfound')), detail ? h('p', null, detail) : null);
}

// A section whose content may be withheld from the viewer: the rows, or why not; and what
// is withheld within the rows (a holder's name), said above them.
export function guarded(answer, path, render) {
  const refusal = answer.refusal(path);
  if (refusal) return withheld(refusal);
  const within = answer.refusalWithin(path);
  return within ? [withheld(within), render()] : render();
}

// columns: [{ label, cell(row), numeric?, secondary? }]; a secondary column gives way on a
// narrow screen (a tablet held upright), where the others need the width.
export function table(columns, rows, attrs = {}) {
  const cls = (c) => [c.numeric ? 'num' : null, c.secondary ? 'secondary' : null]
    .filter(Boolean).join(' ') || null;
  return h('div', { class: 'table-wrap' },
    h('table', attrs,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { class: cls(c) }, c.label)))),
      h('tbody', null, rows.map((row) => h('tr', row.attrs ?? null, columns.map((c) =>
        h('td', { class: cls(c) }, c.cell(row.data ?? row))))))));
}

export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, value]) => value != null && value !== '')
    .map(([label, value]) => [h('dt', null, label), h('dd', null, value)]));
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// A file the page made or fetched, saved as the browser saves a download.
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const anchor = h('a', { href: url, download: filename });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
