// The pager under a table of a cursor connection: the page's place in the whole list, and
// links to the first, previous and next pages (each a shareable link).

import { h, link } from '../dom.js';
import { number, t } from '../i18n.js';
import { href, params } from '../state.js';

// cursors: from-offset -> the `after` cursor of that page, as far as this tab has walked.
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
  return h('nav', { class: 'pager', 'aria-label': 'pages' },
    h('span', { 'data-testid': 'page-range' }, t('page.range', {
      from: number(shown ? from + 1 : 0), to: number(from + shown), total: number(total) })),
    links);
}
