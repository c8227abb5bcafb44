// Horizontal bar charts drawn as SVG, each with its figures as a table-like CSV download.

import { empty, h, saveBlob } from './dom.js';
import { number, t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) element.setAttribute(name, value);
  for (const child of children) element.append(child);
  return element;
}

// rows: [{ label, value, colour? }]; csv: { filename, header: [...], rows: [[...]] }.
export function barChart({ title, rows, unit = '', digits = 0, csv, testid }) {
  const figure = h('figure', { class: 'chart', 'data-testid': testid, 'data-rows': rows.length });
  const caption = h('figcaption', null, h('span', null, title),
    csv && rows.length ? h('button', { type: 'button', class: 'csv', 'data-testid': `${testid}-csv`,
      onclick: () => downloadCsv(csv) }, t('chart.csv')) : null);
  figure.append(caption);
  if (!rows.length) {
    figure.append(empty(t('chart.empty')));
    return figure;
  }
  const labelWidth = 190;
  const valueWidth = 90;
  const barArea = 320;
  const rowHeight = 22;
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const height = rows.length * rowHeight + 4;
  const chart = svg('svg', { viewBox: `0 0 ${labelWidth + barArea + valueWidth} ${height}`,
    role: 'img', 'aria-label': title, preserveAspectRatio: 'xMinYMin meet' });
  rows.forEach((row, i) => {
    const y = i * rowHeight + 2;
    const width = Math.max((row.value / max) * barArea, row.value > 0 ? 1 : 0);
    const label = svg('text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end', class: 'label' },
      truncate(row.label, 30));
    label.append(svg('title', {}, row.label));
    chart.append(label,
      svg('rect', { x: labelWidth, y: y + 3, width, height: rowHeight - 6, rx: 2,
        fill: row.colour ?? '#4a7fb5' }),
      svg('text', { x: labelWidth + width + 5, y: y + 15, class: 'value' },
        `${number(row.value, digits)}${unit}`));
  });
  figure.append(chart);
  return figure;
}

function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function csvField(value) {
  const text = value == null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvText({ header, rows }) {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function downloadCsv(csv) {
  // A byte-order mark, so that spreadsheet programs read the Vietnamese as UTF-8.
  saveBlob(new Blob(['\ufeff', csvText(csv)], { type: 'text/csv;charset=utf-8' }), csv.filename);
}
