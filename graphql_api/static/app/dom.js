// Small DOM helpers: elements from data (text is always text, never HTML), and the
// loading / empty / error / withheld states every view shows the same way.

import { t } from './i18n.js';

export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
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

export function failure(error, retry) {
  return h('div', { class: 'state error', 'data-testid': 'error', role: 'alert',
    'data-code': error.code ?? 'INTERNAL' },
  h('p', null, t('state.error', { message: error.message })),
  retry ? h('button', { type: 'button', onclick: retry }, t('state.retry')) : null);
}

export function withheld(error) {
  return h('p', { class: 'state withheld', 'data-testid': 'withheld',
    'data-required': error.required ?? '' },
  t('state.withheld', { required: error.required ?? '?' }));
}

// A section whose content may be withheld from the viewer: the rows, or why not.
export function guarded(answer, path, render) {
  const refusal = answer.refusal(path);
  if (refusal) return withheld(refusal);
  return render();
}

export function table(columns, rows, attrs = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', attrs,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.numeric ? 'num' : null },
        c.label)))),
      h('tbody', null, rows.map((row) => h('tr', row.attrs ?? null, columns.map((c) =>
        h('td', { class: c.numeric ? 'num' : null }, c.cell(row.data ?? row))))))));
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
