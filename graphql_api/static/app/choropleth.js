// The communes of a province on a map, coloured by a measure, in five classes of it: each
// commune by its outline (outlineWkt: the province's boundary file's, else derived from its
// parcels), else a disc at its centre as large as its territory. Drawn as SVG from the
// communes' aggregates and outlines, never from their parcels.

import { h } from './dom.js';
import { number, t } from './i18n.js';
import { wktRings } from './map.js';
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

// How a commune is drawn: by the boundary file's outline, by the one derived from its
// parcels, or as a disc.
function shapeOf(r) {
  if (!r.rings.length) return 'disc';
  return r.outlineSource === 'BOUNDARY_FILE' ? 'boundary' : 'parcels';
}

// rows: [{ code, name, latitude, longitude, areaKm2, outlineWkt, outlineSource, value }];
// digits: of the legend's values.
export function communeMap(rows, { title, digits = 0 }) {
  // Each outline parsed once.
  const placed = rows.map((r) => ({ ...r, rings: wktRings(r.outlineWkt) }))
    .filter((r) => r.rings.length || (r.latitude != null && r.longitude != null));
  const bounded = placed.filter((r) => r.rings.length).length;
  const shapes = bounded === 0 ? 'discs' : (bounded === placed.length ? 'outlines' : 'mixed');
  const figure = h('figure', { class: 'chart commune-map', 'data-testid': 'commune-map',
    'data-communes': placed.length, 'data-shapes': shapes });
  figure.append(h('figcaption', null, h('span', null, title)));
  if (!placed.length) return figure;
  const lats = placed.flatMap((r) => r.rings.flat().map((p) => p[1]).concat(r.latitude ?? []));
  const lat0 = lats.reduce((sum, lat) => sum + lat, 0) / lats.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  // A little smaller than the territory, so that neighbours overlap less.
  const radius = (r) => 0.85 * Math.sqrt(Math.max(r.areaKm2 ?? 1, 0.05) / Math.PI) / KM_PER_DEGREE;
  const project = ([lon, lat]) => [lon * k, -lat];
  const drawn = placed.map((r) => {
    const rings = r.rings.map((ring) => ring.map(project));
    if (rings.length) return { rings };
    const [x, y] = project([r.longitude, r.latitude]);
    return { disc: [x, y, radius(r)] };
  });
  const corners = drawn.flatMap((d) => (d.rings ? d.rings.flat()
    : [[d.disc[0] - d.disc[2], d.disc[1] - d.disc[2]], [d.disc[0] + d.disc[2], d.disc[1] + d.disc[2]]]));
  // A province's outlines hold too many points to spread into Math.min's arguments.
  const extent = corners.reduce(([x0, y0, x1, y1], [x, y]) => [Math.min(x0, x), Math.min(y0, y),
    Math.max(x1, x), Math.max(y1, y)], [Infinity, Infinity, -Infinity, -Infinity]);
  const margin = 0.03 * Math.max(extent[2] - extent[0], extent[3] - extent[1], 1e-3);
  const [minX, maxX] = [extent[0] - margin, extent[2] + margin];
  const [minY, maxY] = [extent[1] - margin, extent[3] + margin];
  const breaks = classBreaks(placed.map((r) => r.value));
  const classOf = (value) => Math.max(0, breaks.findIndex((b) => value <= b));
  const map = svg('svg', { viewBox: `${minX} ${minY} ${maxX - minX} ${maxY - minY}`,
    role: 'img', 'aria-label': title, preserveAspectRatio: 'xMidYMid meet' });
  placed.forEach((r, i) => {
    const style = { fill: CLASSES[classOf(r.value)], stroke: '#1d2733',
      'stroke-width': (maxX - minX) / 600 };
    const label = svg('title', {}, `${r.name}: ${number(r.value, digits)}`);
    const { rings, disc } = drawn[i];
    const shape = rings
      ? svg('path', { ...style, 'fill-rule': 'evenodd', d: rings.map((ring) => `M${ring
        .map((p) => `${p[0]} ${p[1]}`).join('L')}Z`).join('') }, label)
      : svg('circle', { ...style, cx: disc[0], cy: disc[1], r: disc[2] }, label);
    map.append(svg('a', { href: href({ view: 'land', unit: `current:${r.code}` }),
      'data-nav': '', 'data-commune': r.code, 'data-class': classOf(r.value),
      'data-shape': shapeOf(r) }, shape));
  });
  const legend = h('ul', { class: 'class-legend' }, breaks.map((upper, i) => h('li', null,
    h('span', { class: 'swatch', style: `background:${CLASSES[i]}` }),
    `${i === 0 ? '≤' : `${number(breaks[i - 1], digits)} –`} ${number(upper, digits)}`)));
  figure.append(map, legend, h('p', { class: 'muted' },
    t(shapes === 'boundaries' ? 'overview.mapNoteBoundaries' : 'overview.mapNote')));
  return figure;
}
