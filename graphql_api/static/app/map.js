// A vector map of parcel polygons drawn on a canvas from GeoJSON: no tiles, nothing fetched
// from elsewhere. Pan by dragging, zoom with the wheel, the buttons or two fingers, click
// (or tap) a parcel.

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

  // Replace the parcels drawn (GeoJSON features); keepView leaves the view where it is.
  setParcels(features, { keepView = false } = {}) {
    this.lat0 = this.lat0 ?? this.firstLatitude(features);
    const k = Math.cos((this.lat0 * Math.PI) / 180);
    this.parcels = [];
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
      this.parcels.push({ feature, rings, path, bbox: [minX, minY, maxX, maxY],
        colour: landUseColour(feature.properties?.land_use_code) });
    }
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

  bounds() {
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const { bbox } of this.parcels) {
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
    const scale = 0.92 * Math.min(width / spanX, height / spanY);
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
    for (const parcel of this.parcels) {
      if (parcel === this.hover || this.highlighted.has(parcel.feature.id)) {
        context.stroke(parcel.path);
      }
    }
  }

  toWorld(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const { scale, tx, ty } = this.view;
    return [(clientX - rect.left - tx) / scale, (clientY - rect.top - ty) / scale];
  }

  parcelAt(clientX, clientY) {
    if (!this.view) return null;
    const [x, y] = this.toWorld(clientX, clientY);
    for (let i = this.parcels.length - 1; i >= 0; i -= 1) {
      const parcel = this.parcels[i];
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

// A GeoJSON geometry of the API's boundaryWkt (a simple POLYGON).
export function wktPolygon(wkt) {
  if (!wkt || !/^POLYGON/i.test(wkt)) return null;
  const rings = [...wkt.matchAll(/\(([^()]+)\)/g)].map((match) => match[1].split(',')
    .map((point) => point.trim().split(/\s+/).map(Number)));
  return rings.length ? { type: 'Polygon', coordinates: rings } : null;
}
