// A vector map of parcel polygons drawn on a canvas from GeoJSON: no tiles, nothing fetched
// from elsewhere. Pan by dragging, zoom with the wheel, the buttons or two fingers, click
// (or tap) a parcel. Around the parcels asked for: the other parcels of the area in grey
// (context), the outlines of communes, parcel numbers once they fit, a scale bar and a
// north arrow.

import { h } from './dom.js';
import { t } from './i18n.js';

// Colours of the national land-use map legend (approximately), by land-use code.
const LAND_USE_COLOURS = {
  LUC: '#fbf36e', LUK: '#fcf59a', LUN: '#fdf7b6', BHK: '#fff2b3', NHK: '#fde8a0',
  CLN: '#b9e3a0', RSX: '#8fcf7a', RPH: '#6fbf73', RDD: '#4caf50', NTS: '#a8def0',
  LMU: '#c7eef7', NKH: '#e6f0c0', ONT: '#f4b8d8', ODT: '#ec8fc4', TSC: '#f29b9b',
  DGD: '#f6b98c', DYT: '#f6a6a6', TMD: '#f59c7c', SKC: '#d8745e', SKK: '#c9604f',
  DGT: '#c8c8c8', DTL: '#9ec9e8', DKV: '#a6d9a0', NTD: '#bdb3d6', SON: '#7fb8e6',
  MNC: '#90c8ef', BCS: '#eeeeee', DCS: '#e0e0e0',
};

export function landUseColour(code) {
  if (LAND_USE_COLOURS[code]) return LAND_USE_COLOURS[code];
  let hash = 0;
  for (const char of code ?? '') hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return `hsl(${hash}, 55%, 72%)`;
}

function ringsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return geometry.coordinates;
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat();
  return [];
}

// Metres in one unit of the map's world (a degree of latitude; longitudes are scaled by the
// cosine of the latitude, so that a unit is as long east-west as north-south).
const METRES_PER_UNIT = 110_574;
const CONTEXT_FILL = '#e6e8e6';
const CONTEXT_LINE = 'rgba(120, 120, 120, 0.5)';

// The convex hull of points (Andrew's monotone chain), as a closed ring.
export function convexHull(points) {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list) => {
    const chain = [];
    for (const point of list) {
      while (chain.length >= 2 && cross(chain.at(-2), chain.at(-1), point) <= 0) chain.pop();
      chain.push(point);
    }
    chain.pop();
    return chain;
  };
  const ring = [...half(sorted), ...half([...sorted].reverse())];
  return [...ring, ring[0]];
}

// The outline of each map sheet (tờ bản đồ) the parcels are on, by former commune and sheet
// number: the convex hull of its parcels (a surveyed sheet's parcels fill it), labelled with
// the sheet's number.
export function sheetOutlines(features) {
  const bySheet = new Map();
  for (const feature of features) {
    const p = feature.properties ?? {};
    if (p.map_sheet_number == null) continue;
    const key = `${p.legacy_commune_code}:${p.map_sheet_number}`;
    if (!bySheet.has(key)) bySheet.set(key, { sheet: p.map_sheet_number, points: [] });
    for (const ring of ringsOf(feature.geometry)) bySheet.get(key).points.push(...ring);
  }
  return [...bySheet.values()].filter(({ points }) => points.length >= 3)
    .map(({ sheet, points }) => ({ rings: [convexHull(points)], label: t('map.sheet', { n: sheet }) }));
}

// The length a scale bar shows for at most `metres`: 1, 2 or 5 times a power of ten.
export function niceLength(metres) {
  const power = 10 ** Math.floor(Math.log10(metres));
  return [5, 2, 1].map((f) => f * power).find((length) => length <= metres) ?? power;
}

function inRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export class ParcelMap {
  // describe(feature) is the tooltip of a parcel; onSelect(feature) follows a click.
  constructor({ describe = () => '', onSelect = null, interactive = true, compact = false,
    testid = 'parcel-map' } = {}) {
    this.describe = describe;
    this.onSelect = onSelect;
    this.interactive = interactive;
    this.parcels = [];
    this.context = [];
    this.outlines = [];
    this.sheets = [];
    this.highlighted = new Set();
    this.hover = null;
    this.view = null;
    this.canvas = h('canvas', { 'aria-label': t('map.label', { n: 0 }), role: 'img' });
    this.tooltip = h('div', { class: 'map-tooltip', hidden: true });
    this.message = h('div', { class: 'map-message', hidden: true });
    const controls = interactive ? h('div', { class: 'map-controls' },
      h('button', { type: 'button', title: t('map.zoomIn'), 'aria-label': t('map.zoomIn'),
        onclick: () => this.zoomBy(1.6) }, '+'),
      h('button', { type: 'button', title: t('map.zoomOut'), 'aria-label': t('map.zoomOut'),
        onclick: () => this.zoomBy(1 / 1.6) }, '−'),
      h('button', { type: 'button', title: t('map.reset'), 'aria-label': t('map.reset'),
        onclick: () => { this.fit(); this.draw(); } }, '⤢')) : null;
    this.element = h('div', { class: interactive && !compact ? 'map' : 'map small', 'data-testid': testid,
      'data-state': 'loading' }, this.canvas, controls, this.tooltip, this.message);
    this.element.parcelMap = this; // what the browser tests read the drawn parcels from
    new ResizeObserver(() => this.resize()).observe(this.element);
    if (interactive) this.listen();
  }

  setState(state, count) {
    this.element.dataset.state = state;
    if (count != null) this.element.dataset.parcelCount = String(count);
  }

  showMessage(text) {
    this.message.textContent = text ?? '';
    this.message.hidden = !text;
  }

  // The parcels of GeoJSON features in the map's world: rings, a path, a bounding box.
  shapes(features) {
    this.lat0 = this.lat0 ?? this.firstLatitude(features);
    const k = Math.cos((this.lat0 * Math.PI) / 180);
    const shapes = [];
    for (const feature of features) {
      const rings = ringsOf(feature.geometry).map((ring) => ring.map(([lon, lat]) => [lon * k, -lat]));
      if (!rings.length) continue;
      const path = new Path2D();
      let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const ring of rings) {
        ring.forEach(([x, y], i) => {
          if (i === 0) path.moveTo(x, y); else path.lineTo(x, y);
          minX = Math.min(minX, x); maxX = Math.max(maxX, x);
          minY = Math.min(minY, y); maxY = Math.max(maxY, y);
        });
        path.closePath();
      }
      shapes.push({ feature, rings, path, bbox: [minX, minY, maxX, maxY],
        colour: landUseColour(feature.properties?.land_use_code) });
    }
    return shapes;
  }

  // The area's other parcels, drawn in grey beneath the parcels asked for (GeoJSON features;
  // those also asked for are left out). They can be clicked when the map opens parcels.
  setContext(features) {
    const asked = new Set(this.parcels.map((p) => p.feature.id));
    this.contextFeatures = features;
    this.context = this.shapes(features.filter((f) => !asked.has(f.id)));
    this.draw();
  }

  // Outlines drawn over the parcels: [{ rings: [[[lon, lat], ...]], label }].
  setOutlines(outlines) {
    this.outlines = this.outlineShapes(outlines);
    this.draw();
  }

  // The map sheets' grid, drawn finer than the outlines, as setOutlines takes them.
  setSheets(sheets) {
    this.sheets = this.outlineShapes(sheets);
    this.element.dataset.sheets = String(this.sheets.length);
    this.draw();
  }

  outlineShapes(outlines) {
    return outlines.map(({ rings, label }) => {
      const [shape] = this.shapes([{ geometry: { type: 'Polygon', coordinates: rings } }]);
      return shape ? { ...shape, label } : null;
    }).filter(Boolean);
  }

  // Replace the parcels drawn (GeoJSON features); keepView leaves the view where it is, and
  // fitTo (a feature id) frames one parcel with its surroundings.
  setParcels(features, { keepView = false, fitTo = null } = {}) {
    this.parcels = this.shapes(features);
    this.framing = null;
    if (this.contextFeatures) {
      const asked = new Set(this.parcels.map((p) => p.feature.id));
      this.context = this.shapes(this.contextFeatures.filter((f) => !asked.has(f.id)));
    }
    this.fitTo = fitTo;
    this.hover = null;
    this.canvas.setAttribute('aria-label', t('map.label', { n: this.parcels.length }));
    if (!keepView || !this.view) this.fit();
    this.draw();
    return this.parcels.length;
  }

  firstLatitude(features) {
    for (const feature of features) {
      const ring = ringsOf(feature.geometry)[0];
      if (ring?.length) return ring[0][1];
    }
    return 0;
  }

  highlight(ids) {
    this.highlighted = new Set(ids);
    this.draw();
  }

  // Frame the parcels and their context together (a parcel's whole map sheet), unless the
  // context is so much larger that the parcels would be lost in it.
  frameContext(maxRatio = 40) {
    const span = (shapes) => {
      const [minX, minY, maxX, maxY] = this.bounds(shapes);
      return Math.max(maxX - minX, maxY - minY);
    };
    if (!this.context.length || span([...this.parcels, ...this.context])
      > maxRatio * span(this.parcels)) return;
    this.fitTo = null;
    this.framing = [...this.parcels, ...this.context];
    this.fit();
    this.draw();
  }

  bounds(shapes = null) {
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
    const framed = this.fitTo ? this.parcels.filter((p) => p.feature.id === this.fitTo) : [];
    for (const { bbox } of shapes ?? (framed.length ? framed : this.framing ?? this.parcels)) {
      minX = Math.min(minX, bbox[0]); minY = Math.min(minY, bbox[1]);
      maxX = Math.max(maxX, bbox[2]); maxY = Math.max(maxY, bbox[3]);
    }
    return [minX, minY, maxX, maxY];
  }

  fit() {
    const { width, height } = this.size();
    if (!this.parcels.length || !width || !height) {
      this.view = null;
      return;
    }
    const [minX, minY, maxX, maxY] = this.bounds();
    const spanX = Math.max(maxX - minX, 1e-6);
    const spanY = Math.max(maxY - minY, 1e-6);
    // One parcel framed shows its neighbours around it.
    const margin = this.fitTo ? 0.3 : 0.92;
    const scale = margin * Math.min(width / spanX, height / spanY);
    this.view = { scale, tx: width / 2 - scale * (minX + spanX / 2),
      ty: height / 2 - scale * (minY + spanY / 2) };
  }

  size() {
    return { width: this.canvas.clientWidth, height: this.canvas.clientHeight };
  }

  resize() {
    const { width, height } = this.size();
    const ratio = window.devicePixelRatio || 1;
    if (!width || !height) return;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    if (!this.view) this.fit();
    this.draw();
  }

  draw() {
    const context = this.canvas.getContext('2d');
    const ratio = window.devicePixelRatio || 1;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.view) {
      if (this.parcels.length) this.fit();
      if (!this.view) return;
    }
    const { scale, tx, ty } = this.view;
    context.setTransform(ratio * scale, 0, 0, ratio * scale, ratio * tx, ratio * ty);
    if (this.context.length) {
      const grey = new Path2D();
      for (const parcel of this.context) grey.addPath(parcel.path);
      context.fillStyle = CONTEXT_FILL;
      context.fill(grey);
      context.lineWidth = 0.6 / scale;
      context.strokeStyle = CONTEXT_LINE;
      context.stroke(grey);
    }
    // One fill per colour: thousands of parcels draw in a few calls.
    const byColour = new Map();
    for (const parcel of this.parcels) {
      let path = byColour.get(parcel.colour);
      if (!path) byColour.set(parcel.colour, (path = new Path2D()));
      path.addPath(parcel.path);
    }
    // Parcels smaller than a few pixels at this zoom are drawn as a dot, so none vanish.
    const dot = 4 / scale;
    for (const parcel of this.parcels) {
      const [minX, minY, maxX, maxY] = parcel.bbox;
      if (Math.max(maxX - minX, maxY - minY) < dot) {
        byColour.get(parcel.colour).rect((minX + maxX - dot) / 2, (minY + maxY - dot) / 2, dot, dot);
      }
    }
    for (const [colour, path] of byColour) {
      context.fillStyle = colour;
      context.fill(path);
    }
    context.lineWidth = 0.6 / scale;
    context.strokeStyle = 'rgba(60, 60, 60, 0.55)';
    for (const path of byColour.values()) context.stroke(path);
    context.lineWidth = 2.5 / scale;
    context.strokeStyle = '#0b5cad';
    for (const parcel of [...this.parcels, ...this.context]) {
      if (parcel === this.hover || this.highlighted.has(parcel.feature.id)) {
        context.stroke(parcel.path);
      }
    }
    this.drawOutlines(context, scale);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.drawLabels(context);
    this.drawScaleBar(context);
    this.drawNorthArrow(context);
  }

  drawOutlines(context, scale) {
    context.save();
    context.lineWidth = 1 / scale;
    context.setLineDash([3 / scale, 3 / scale]);
    context.strokeStyle = 'rgba(11, 92, 173, 0.7)';
    for (const sheet of this.sheets) context.stroke(sheet.path);
    context.restore();
    if (!this.outlines.length) return;
    context.save();
    context.lineWidth = 1.8 / scale;
    context.setLineDash([8 / scale, 4 / scale]);
    context.strokeStyle = 'rgba(120, 30, 90, 0.85)';
    for (const outline of this.outlines) context.stroke(outline.path);
    context.restore();
  }

  // Screen point of a world point.
  toScreen(x, y) {
    const { scale, tx, ty } = this.view;
    return [tx + scale * x, ty + scale * y];
  }

  // Parcel numbers on the parcels wide enough on screen to hold them (and the outlines'
  // names), at most a few hundred at a time.
  drawLabels(context) {
    const { width, height } = this.size();
    const { scale } = this.view;
    context.font = '11px system-ui, sans-serif';
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.lineWidth = 3;
    context.strokeStyle = 'rgba(255, 255, 255, 0.85)';
    context.fillStyle = '#1d2733';
    let drawn = 0;
    for (const parcel of [...this.context, ...this.parcels]) {
      const [minX, minY, maxX, maxY] = parcel.bbox;
      if ((maxX - minX) * scale < 26 || (maxY - minY) * scale < 14) continue;
      // In the middle of the part of the parcel's box on screen (a parcel zoomed in beyond
      // the screen keeps its number in view).
      const [left, top] = this.toScreen(minX, minY);
      const [right, bottom] = this.toScreen(maxX, maxY);
      const [x0, y0, x1, y1] = [Math.max(left, 0), Math.max(top, 0), Math.min(right, width),
        Math.min(bottom, height)];
      if (x1 - x0 < 26 || y1 - y0 < 14) continue;
      const [x, y] = [(x0 + x1) / 2, (y0 + y1) / 2];
      const number = parcel.feature.properties?.parcel_number;
      if (number == null) continue;
      context.strokeText(String(number), x, y);
      context.fillText(String(number), x, y);
      drawn += 1;
      if (drawn >= 400) break;
    }
    this.element.dataset.labels = String(drawn);
    // A sheet's number at its top left corner, once the sheet is large enough on screen.
    context.font = '600 11px system-ui, sans-serif';
    context.textAlign = 'left';
    context.fillStyle = 'rgba(11, 92, 173, 0.95)';
    for (const sheet of this.sheets) {
      const [minX, minY, maxX, maxY] = sheet.bbox;
      if ((maxX - minX) * scale < 70 || (maxY - minY) * scale < 40) continue;
      const [x, y] = this.toScreen(minX, minY);
      if (x > width || y > height || x < -200 || y < -40) continue;
      context.strokeText(sheet.label, Math.max(4, x + 4), Math.max(10, y + 10));
      context.fillText(sheet.label, Math.max(4, x + 4), Math.max(10, y + 10));
    }
    context.textAlign = 'center';
    context.font = '600 13px system-ui, sans-serif';
    context.fillStyle = 'rgba(120, 30, 90, 0.95)';
    for (const outline of this.outlines) {
      if (!outline.label) continue;
      const [minX, minY, maxX] = outline.bbox;
      const [x, y] = this.toScreen((minX + maxX) / 2, minY);
      if (x < 0 || x > width || y + 12 < 0 || y > height) continue;
      context.strokeText(outline.label, x, Math.max(12, y + 12));
      context.fillText(outline.label, x, Math.max(12, y + 12));
    }
  }

  drawScaleBar(context) {
    const { height } = this.size();
    const metresPerPixel = METRES_PER_UNIT / this.view.scale;
    const metres = niceLength(metresPerPixel * 120);
    const pixels = metres / metresPerPixel;
    const [x, y] = [12, height - 14];
    context.fillStyle = 'rgba(255, 255, 255, 0.8)';
    context.fillRect(x - 6, y - 20, pixels + 12, 28);
    context.strokeStyle = '#1d2733';
    context.lineWidth = 2;
    context.beginPath();
    context.moveTo(x, y - 5);
    context.lineTo(x, y);
    context.lineTo(x + pixels, y);
    context.lineTo(x + pixels, y - 5);
    context.stroke();
    context.font = '11px system-ui, sans-serif';
    context.textAlign = 'center';
    context.textBaseline = 'alphabetic';
    context.fillStyle = '#1d2733';
    const text = metres >= 1000 ? `${metres / 1000} km` : `${metres} m`;
    context.fillText(text, x + pixels / 2, y - 7);
    this.element.dataset.scaleBar = text;
  }

  drawNorthArrow(context) {
    const [x, y] = [22, 16];
    context.fillStyle = '#1d2733';
    context.beginPath();
    context.moveTo(x, y);
    context.lineTo(x + 7, y + 20);
    context.lineTo(x, y + 15);
    context.lineTo(x - 7, y + 20);
    context.closePath();
    context.fill();
    context.font = '600 11px system-ui, sans-serif';
    context.textAlign = 'center';
    context.textBaseline = 'top';
    context.fillText('N', x, y + 22);
  }

  toWorld(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const { scale, tx, ty } = this.view;
    return [(clientX - rect.left - tx) / scale, (clientY - rect.top - ty) / scale];
  }

  parcelAt(clientX, clientY) {
    if (!this.view) return null;
    const [x, y] = this.toWorld(clientX, clientY);
    const all = [...this.context, ...this.parcels];
    for (let i = all.length - 1; i >= 0; i -= 1) {
      const parcel = all[i];
      const [minX, minY, maxX, maxY] = parcel.bbox;
      if (x < minX || x > maxX || y < minY || y > maxY) continue;
      if (inRing(x, y, parcel.rings[0])) return parcel;
    }
    return null;
  }

  zoomBy(factor, clientX, clientY) {
    if (!this.view) return;
    const rect = this.canvas.getBoundingClientRect();
    const px = clientX == null ? rect.width / 2 : clientX - rect.left;
    const py = clientY == null ? rect.height / 2 : clientY - rect.top;
    const { scale, tx, ty } = this.view;
    this.view = { scale: scale * factor, tx: px - (px - tx) * factor, ty: py - (py - ty) * factor };
    this.draw();
  }

  // A mouse or one finger drags the map; two fingers pinch to zoom and pan together; a
  // press released where it began is a click.
  listen() {
    const pointers = new Map(); // pointerId -> its latest [clientX, clientY]
    let drag = null;
    let pinch = null;
    const pinchOf = () => { // between the first two fingers down
      const [[x1, y1], [x2, y2]] = [...pointers.values()];
      return { x: (x1 + x2) / 2, y: (y1 + y2) / 2, distance: Math.hypot(x2 - x1, y2 - y1) };
    };
    const release = (event) => {
      if (!pointers.delete(event.pointerId)) return false;
      if (pinch) {
        if (pointers.size >= 2) {
          pinch = pinchOf(); // a third finger stays: pinch on with the two left
          return false;
        }
        pinch = null;
        // The finger left on the screen goes on panning; lifting it is no click.
        const [rest] = pointers.values();
        drag = rest ? { x: rest[0], y: rest[1], moved: true, slop: 0 } : null;
        return false;
      }
      const clicked = drag && !drag.moved && pointers.size === 0;
      if (pointers.size === 0) drag = null;
      return clicked;
    };
    this.canvas.addEventListener('wheel', (event) => {
      event.preventDefault();
      this.zoomBy(event.deltaY < 0 ? 1.25 : 0.8, event.clientX, event.clientY);
    }, { passive: false });
    this.canvas.addEventListener('pointerdown', (event) => {
      if (event.pointerType === 'mouse' && event.button !== 0) return; // the main button only
      // The first pointer of a gesture: whatever a lost pointerup left behind is gone.
      if (event.isPrimary) {
        pointers.clear();
        pinch = null;
      }
      pointers.set(event.pointerId, [event.clientX, event.clientY]);
      this.canvas.setPointerCapture(event.pointerId);
      if (pointers.size >= 2) {
        pinch = pinchOf();
        drag = null;
      } else {
        // A finger wobbles more than a mouse before a tap stops being one.
        drag = { x: event.clientX, y: event.clientY, moved: false,
          slop: event.pointerType === 'touch' ? 10 : 4 };
      }
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (pointers.has(event.pointerId)) {
        pointers.set(event.pointerId, [event.clientX, event.clientY]);
      }
      if (pinch && this.view) {
        if (pointers.size < 2) return;
        const now = pinchOf();
        this.view.tx += now.x - pinch.x;
        this.view.ty += now.y - pinch.y;
        if (pinch.distance > 0 && now.distance > 0) {
          this.zoomBy(now.distance / pinch.distance, now.x, now.y);
        } else {
          this.draw();
        }
        pinch = now;
        return;
      }
      if (drag && this.view) {
        const dx = event.clientX - drag.x;
        const dy = event.clientY - drag.y;
        if (drag.moved || Math.abs(dx) + Math.abs(dy) > drag.slop) {
          drag.moved = true;
          this.view.tx += dx;
          this.view.ty += dy;
          drag.x = event.clientX;
          drag.y = event.clientY;
          this.draw();
        }
        return;
      }
      if (event.pointerType !== 'touch') this.hoverAt(event);
    });
    this.canvas.addEventListener('pointerup', (event) => {
      if (!release(event) || !this.onSelect) return;
      const parcel = this.parcelAt(event.clientX, event.clientY);
      if (parcel) this.onSelect(parcel.feature);
    });
    this.canvas.addEventListener('pointercancel', release);
    this.canvas.addEventListener('lostpointercapture', release);
    this.canvas.addEventListener('pointerleave', () => {
      this.tooltip.hidden = true;
      if (this.hover) {
        this.hover = null;
        this.draw();
      }
    });
  }

  hoverAt(event) {
    const parcel = this.parcelAt(event.clientX, event.clientY);
    if (parcel !== this.hover) {
      this.hover = parcel;
      this.canvas.style.cursor = parcel && this.onSelect ? 'pointer' : '';
      this.draw();
    }
    if (!parcel) {
      this.tooltip.hidden = true;
      return;
    }
    const rect = this.canvas.getBoundingClientRect();
    this.tooltip.textContent = this.describe(parcel.feature);
    this.tooltip.style.left = `${event.clientX - rect.left + 12}px`;
    this.tooltip.style.top = `${event.clientY - rect.top + 12}px`;
    this.tooltip.hidden = false;
  }
}

// A WKT POLYGON or MULTIPOLYGON (the API's boundaryWkt) as a GeoJSON geometry, its
// polygons and their holes kept apart; null for anything else.
export function wktGeometry(wkt) {
  const type = /^\s*(MULTIPOLYGON|POLYGON)\b/i.exec(wkt ?? '')?.[1]?.toUpperCase();
  if (!type) return null;
  const ringDepth = type === 'POLYGON' ? 2 : 3;
  const polygons = [];
  let polygon = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < wkt.length; i += 1) {
    if (wkt[i] === '(') {
      depth += 1;
      if (depth === ringDepth - 1) polygon = [];
      if (depth === ringDepth) start = i + 1;
    } else if (wkt[i] === ')') {
      if (depth === ringDepth) {
        polygon.push(wkt.slice(start, i).split(',').map((point) => point.trim().split(/\s+/)
          .map(Number)));
      }
      if (depth === ringDepth - 1) polygons.push(polygon);
      depth -= 1;
    }
  }
  if (!polygons.length) return null;
  return type === 'POLYGON' ? { type: 'Polygon', coordinates: polygons[0] }
    : { type: 'MultiPolygon', coordinates: polygons };
}

// A unit's outline from its WKT (outlineWkt), as setOutlines takes it; null without.
export function boundaryOutline(wkt, label = null) {
  const rings = wktRings(wkt);
  return rings.length ? { rings, label } : null;
}

// The rings of a WKT POLYGON or MULTIPOLYGON (the API's outlineWkt), as [[lon, lat], ...].
export function wktRings(wkt) {
  return ringsOf(wktGeometry(wkt));
}

// A parcel's boundary (a WKT POLYGON) as a GeoJSON geometry; null for anything else.
export function wktPolygon(wkt) {
  const geometry = wktGeometry(wkt);
  return geometry?.type === 'Polygon' ? geometry : null;
}
