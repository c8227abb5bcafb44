// The selection lives in the URL (?view=land&unit=current:27694&use=LUC...), so every page
// can be shared as a link and the browser's back button walks back through selections.

import { lang } from './i18n.js';

export function params() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

export function href(values) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value != null && value !== '' && name !== 'lang') query.set(name, value);
  }
  if (lang() !== 'vi') query.set('lang', lang());
  const text = query.toString();
  return text ? `/?${text}` : '/';
}

const listeners = [];

export function onChange(listener) {
  listeners.push(listener);
}

export function go(values, { replace = false } = {}) {
  const target = href(values);
  if (target !== location.pathname + location.search) {
    history[replace ? 'replaceState' : 'pushState'](null, '', target);
  }
  for (const listener of listeners) listener(params());
}

// Write a selection into the URL without reloading the page's parts (say, the area a page
// chose itself because its link named none), so the link holds it.
export function settle(changes) {
  history.replaceState(null, '', href({ ...params(), ...changes }));
}

// Change some parameters of the current selection (null removes one).
export function update(changes, options) {
  go({ ...params(), ...changes }, options);
}

// unit=current:27694 / legacy:27859 / current:80: the AdminUnitRef a filter takes.
export function unitRef(unit) {
  const match = /^(current|legacy):(\d{2}|\d{3}|\d{5})$/.exec(unit ?? '');
  return match ? { generation: match[1].toUpperCase(), code: match[2] } : null;
}

export function unitParam(ref) {
  return `${ref.generation.toLowerCase()}:${ref.code}`;
}
