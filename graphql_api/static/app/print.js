// Printing a page as one sheet, A4 or A3 landscape: the sheet chosen here names the @page
// the stylesheet prints on (html[data-paper]); the browser's print dialog offers the same
// size by default.

import { h } from './dom.js';
import { t } from './i18n.js';

const PAPERS = ['A4', 'A3'];

// The sheet-size choice and the Print button, as a page's tools show them.
export function printTools() {
  const paper = h('select', { 'data-testid': 'paper', 'aria-label': t('export.paper'),
    onchange: () => { document.documentElement.dataset.paper = paper.value; } },
  PAPERS.map((size) => h('option', { value: size }, t('export.sheet', { size }))));
  paper.value = document.documentElement.dataset.paper ?? PAPERS[0];
  const button = h('button', { type: 'button', 'data-testid': 'print',
    onclick: () => window.print() }, t('export.print'));
  return [paper, button];
}
