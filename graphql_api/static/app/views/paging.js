// Paging through a cursor connection: the pager under a table (the page's place in the whole
// list, links to the first, previous and next pages, each a shareable link), the cursors
// this tab has walked for one selection, and how a page tells a cursor gone stale.

import { h, link } from '../dom.js';
import { number, t } from '../i18n.js';
import { href, params } from '../state.js';

// The `after` cursor of each page (by its offset) walked for the current selection; another
// filter or order starts afresh, so a cursor never crosses from one selection to another.
export class Cursors {
  constructor() {
    this.selection = null;
    this.pages = new Map();
  }

  of(values) {
    const { after, from, lang, ...selection } = values;
    const key = JSON.stringify(Object.entries(selection).sort());
    if (key !== this.selection) {
      this.selection = key;
      this.pages = new Map();
    }
    this.pages.set(Number(from) || 0, after || null);
    return this.pages;
  }
}

// A link's cursor the API no longer takes (the data was republished, the link was edited).
export function staleCursor(error, values) {
  return Boolean(values.after) && error.code === 'BAD_USER_INPUT' && /cursor/.test(error.message);
}

export function pager({ from, shown, total, pageInfo, pageSize, cursors }) {
  const here = params();
  const at = (offset, after) => href({ ...here, from: offset || null, after });
  const previous = from - pageSize;
  const links = [];
  if (from > 0) {
    links.push(link(at(0, null), t('page.first')));
    if (previous > 0 && cursors.has(previous)) {
      links.push(link(at(previous, cursors.get(previous)), t('page.prev')));
    }
  }
  if (pageInfo.hasNextPage) {
    links.push(h('a', { href: at(from + pageSize, pageInfo.endCursor), 'data-nav': true,
      'data-testid': 'next-page' }, t('page.next')));
  }
  return h('nav', { class: 'pager', 'aria-label': t('aria.pages') },
    h('span', { 'data-testid': 'page-range' }, t('page.range', {
      from: number(shown ? from + 1 : 0), to: number(from + shown), total: number(total) })),
    links);
}
