// The communes of a province on a map, coloured by a measure: each commune a disc at its
// centre, as large as its territory (kho holds no boundaries), in five classes of the
// measure. Drawn as SVG from the communes' aggregates, never from their parcels.

import { h } from './dom.js';
import { number, t } from './i18n.js';
import { href } from './state.js';

const SVG = 'http://www.w3.org/2000/svg';
const CLASSES = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
const KM_PER_DEGREE = 110.6;

function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

// The upper bounds of five classes of equal counts (quantiles) of the values.
export function classBreaks(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return [];
  return [1, 2, 3, 4, 5].map((k) => sorted[Math.min(sorted.length - 1,
    Math.ceil((k * sorted.length) / 5) - 1)]);
}

// rows: [{ code, name, latitude, longitude, areaKm2, value }]; digits: of the legend's values.
export function communeMap(rows, { title, digits = 0 }) {
  const placed = rows.filter((r) => r.latitude != null && r.longitude != null);
  const figure = h('figure', { class: 'chart commune-map', 'data-testid': 'commune-map',
    'data-communes': placed.length });
  figure.append(h('figcaption', null, h('span', null, title)));
  if (!placed.length) return figure;
  const lat0 = placed.reduce((sum, r) => sum + r.latitude, 0) / placed.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  // A little smaller than the territory, so that neighbours overlap less.
  const radius = (r) => 0.85 * Math.sqrt(Math.max(r.areaKm2 ?? 1, 0.05) / Math.PI) / KM_PER_DEGREE;
  const xs = placed.map((r) => r.longitude * k);
  const ys = placed.map((r) => -r.latitude);
  const margin = Math.max(...placed.map(radius)) * 1.2;
  const [minX, maxX] = [Math.min(...xs) - margin, Math.max(...xs) + margin];
  const [minY, maxY] = [Math.min(...ys) - margin, Math.max(...ys) + margin];
  const breaks = classBreaks(placed.map((r) => r.value));
  const classOf = (value) => Math.max(0, breaks.findIndex((b) => value <= b));
  const map = svg('svg', { viewBox: `${minX} ${minY} ${maxX - minX} ${maxY - minY}`,
    role: 'img', 'aria-label': title, preserveAspectRatio: 'xMidYMid meet' });
  placed.forEach((r, i) => {
    const anchor = svg('a', { href: href({ view: 'land', unit: `current:${r.code}` }),
      'data-nav': '', 'data-commune': r.code, 'data-class': classOf(r.value) },
    svg('circle', { cx: xs[i], cy: ys[i], r: radius(r), fill: CLASSES[classOf(r.value)],
      stroke: '#1d2733', 'stroke-width': (maxX - minX) / 600 },
    svg('title', {}, `${r.name}: ${number(r.value, digits)}`)));
    map.append(anchor);
  });
  const legend = h('ul', { class: 'class-legend' }, breaks.map((upper, i) => h('li', null,
    h('span', { class: 'swatch', style: `background:${CLASSES[i]}` }),
    `${i === 0 ? '≤' : `${number(breaks[i - 1], digits)} –`} ${number(upper, digits)}`)));
  figure.append(map, legend, h('p', { class: 'muted' }, t('overview.mapNote')));
  return figure;
}
