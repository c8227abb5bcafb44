// A part of a page loaded from the API: it says that it loads, then shows the answer, or
// says what went wrong with a way to retry.

import { aborted, gql } from '../api.js';
import { failure, h, link, loading, replace } from '../dom.js';
import { date, t } from '../i18n.js';
import { href, update } from '../state.js';

// show(answer) runs unless a newer load of the part took over; an error of the request or
// of show (a field the answer refused) puts the failure, with retry, in the part.
export async function loadPart(latest, part, { query, variables, show, retry }) {
  const run = latest.start();
  replace(part, loading());
  try {
    const answer = await gql(query, variables, { signal: run.signal });
    if (run.current()) show(answer);
  } catch (error) {
    if (run.current() && !aborted(error)) replace(part, failure(error, retry));
  }
}

// A record's page as of a past date (asof=YYYY-MM-DD in its link): the date picker, and
// what the page shows when it is set.
export function asOfDate(values) {
  return /^\d{4}-\d{2}-\d{2}$/.test(values.asof ?? '') ? values.asof : null;
}

export function asOfPicker(values) {
  const asOf = asOfDate(values);
  // A link whose date is no date: said, and today's record shown.
  const unreadable = values.asof && !asOf ? h('p', { class: 'note error', role: 'alert',
    'data-testid': 'as-of-invalid' }, t('asOf.invalid', { value: values.asof })) : null;
  const input = h('input', { type: 'date', 'data-testid': 'as-of', value: asOf ?? '',
    max: new Date().toISOString().slice(0, 10),
    onchange: () => update({ asof: input.value || null }) });
  return h('div', { class: asOf ? 'as-of past' : 'as-of', 'data-testid': 'as-of-bar' },
    h('label', null, h('span', null, t('asOf.label')), input),
    asOf ? [h('strong', { 'data-testid': 'as-of-note' }, t('asOf.showing', { date: date(asOf) })),
      link(href({ ...values, asof: null }), t('asOf.today'))] : null, unreadable);
}

// Where a record's page was opened from, when that was another record's page
// (back=enterprise:<id> or back=parcel:<id> in its link; not `from`, which is a list's
// page): its back link returns there.
const BACK = /^(enterprise|parcel):([0-9a-f-]{36})$/;

// The back link to the record the page was opened from, or null.
export function backToRecord(values) {
  const match = BACK.exec(values.back ?? '');
  return match ? h('p', { class: 'back' }, link(href({ view: match[1], id: match[2] }),
    t(`back.${match[1]}`))) : null;
}
