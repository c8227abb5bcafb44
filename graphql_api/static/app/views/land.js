// Land: a commune's (or province's) parcels on a map coloured by land use, the same parcels
// in a table, and the filters both follow. The map draws from the open-data GeoJSON of the
// filter, the table pages through landParcels with the same filter.

import { aborted, download, gql, Latest, saveFile } from '../api.js';
import { AreaPicker, describeUnit, linkedUnit } from '../areas.js';
import { empty, failure, h, link, loading, replace, table } from '../dom.js';
import { date, number, pick, t, zoneName } from '../i18n.js';
import {
  boundaryOutline, landUseColour, ParcelMap, sheetOutlines,
} from '../map.js';
import { printTools } from '../print.js';
import { go, href, unitParam, update } from '../state.js';
import { Cursors, pager, staleCursor } from './paging.js';
import { loadPart } from './parts.js';

const PAGE_SIZE = 50;
// Above this many parcels the map asks for a smaller area instead of drawing.
const MAP_LIMIT = 20000;
const ORDERS = ['ID', 'PARCEL_NUMBER', 'AREA_DESC', 'AREA_ASC'];
// How a commune's outline is told on the map (data-outline) and in its note, by its source.
const OUTLINE_SOURCES = { BOUNDARY_FILE: 'boundary', PARCELS: 'parcels' };
// What the map reads of each parcel besides its ID and boundary: its colour, the sheet grid,
// the labels and the hover text.
const MAP_PROPERTIES = 'properties=legacy_commune_code,map_sheet_number,parcel_number,area_m2,'
  + 'land_use_code,land_use_name_vi,land_use_name_en';
// A filter's parcel IDs alone.
const IDS_ONLY = 'properties=&skip_geometry=true';
// The parameters of a land page's selection: a parcel opened from it keeps them, so that its
// back link returns to the same area, filters, order and page.
export const LAND_SELECTION = ['unit', 'use', 'amin', 'amax', 'zone', 'sheet', 'no', 'sort',
  'after', 'from'];

const OPTIONS = `query LandOptions($filter: LandParcelFilter) {
  uses: landAreaByUse(filter: $filter, groupBy: [LAND_USE]) {
    landUseCode landUseNameVi landUseNameEn parcelCount totalAreaM2
  }
  zones: landAreaByUse(filter: $filter, groupBy: [PLANNING_ZONE]) {
    planningZone planningZoneNameEn parcelCount
  }
}`;

const PARCELS = `query LandParcels($filter: LandParcelFilter, $orderBy: LandParcelOrder!, $after: String) {
  landParcels(filter: $filter, orderBy: $orderBy, first: ${PAGE_SIZE}, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id mapSheetNumber parcelNumber areaM2 landUseCode landUseNameVi landUseNameEn
      planningZone planningZoneNameEn certificateIssuedOn legacyCommuneCode commune { name }
      legacyCommune { name }
    }
  }
}`;

function finite(text) {
  return text !== undefined && text !== '' && Number.isFinite(Number(text)) ? Number(text) : null;
}

// The filter of a page's link, as the API takes it and as the GeoJSON download takes it:
// the same values, so that the map and the table name the same parcels.
function landFilter(values, ref) {
  const filter = { adminUnit: ref };
  const download = new URLSearchParams({ admin_unit: ref.code,
    generation: ref.generation.toLowerCase() });
  const uses = (values.use ?? '').split(',').filter(Boolean);
  if (uses.length) {
    filter.landUseCode = uses;
    for (const code of uses) download.append('land_use_code', code);
  }
  for (const [param, field, name] of [['amin', 'areaMinM2', 'area_min_m2'],
    ['amax', 'areaMaxM2', 'area_max_m2']]) {
    const value = finite(values[param]);
    if (value !== null) {
      filter[field] = value;
      download.set(name, String(value));
    }
  }
  if (values.zone) {
    filter.planningZone = [values.zone];
    download.set('planning_zone', values.zone);
  }
  for (const [param, field, name] of [['sheet', 'mapSheetNumber', 'map_sheet_number'],
    ['no', 'parcelNumber', 'parcel_number']]) {
    const value = whole(values[param]);
    if (value !== null) {
      filter[field] = value;
      download.set(name, String(value));
    }
  }
  return { filter, download: download.toString() };
}

function whole(text) {
  return /^\d{1,9}$/.test(text ?? '') ? Number(text) : null;
}

// "tờ 10 thửa 3", "to 10 thua 3", "tờ số 10, thửa số 3", "sheet 10 parcel 3", "10/3", "tờ 10"
// or "thửa 3": the map sheet and parcel number asked for; null for text that is none of them.
export function sheetAndParcel(text) {
  const plain = text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd')
    .toLowerCase().replace(/\bso\b/g, ' ').replace(/[,;.:#]/g, ' ').trim();
  const sheet = '(?:to(?:\\s*ban\\s*do)?|map\\s*sheet|sheet)';
  const parcel = '(?:thua(?:\\s*dat)?|parcel|lot)';
  const patterns = [
    [new RegExp(`^${sheet}\\s*(\\d+)\\s*${parcel}\\s*(\\d+)$`), (m) => ({ sheet: m[1], no: m[2] })],
    [new RegExp(`^${parcel}\\s*(\\d+)\\s*${sheet}\\s*(\\d+)$`), (m) => ({ sheet: m[2], no: m[1] })],
    [/^(\d+)\s*[/-]\s*(\d+)$/, (m) => ({ sheet: m[1], no: m[2] })],
    [new RegExp(`^${sheet}\\s*(\\d+)$`), (m) => ({ sheet: m[1], no: null })],
    [new RegExp(`^${parcel}\\s*(\\d+)$`), (m) => ({ sheet: null, no: m[1] })],
  ];
  for (const [pattern, read] of patterns) {
    const match = pattern.exec(plain);
    if (match) {
      const found = read(match);
      return { sheet: found.sheet && String(Number(found.sheet)),
        no: found.no && String(Number(found.no)) };
    }
  }
  return null;
}

// The GeoJSON of the parcels a download key names: what the map draws of each, or `shape`.
function parcelsGeojson(key, { signal, shape = MAP_PROPERTIES } = {}) {
  return download(`/opendata/land_parcels.geojson?${key}&${shape}`, { signal });
}

function sheetAndParcelText(values) {
  const parts = [];
  if (whole(values.sheet) !== null) parts.push(`${t('search.sheetWord')} ${values.sheet}`);
  if (whole(values.no) !== null) parts.push(`${t('search.parcelWord')} ${values.no}`);
  return parts.join(' ');
}

function describeParcel(feature) {
  const p = feature.properties;
  return `${t('col.sheet')} ${p.map_sheet_number ?? '?'} · ${t('col.parcel')} ${p.parcel_number ?? '?'}`
    + ` · ${pick({ nameVi: p.land_use_name_vi, nameEn: p.land_use_name_en }, 'name')
      || p.land_use_code || ''}`
    + ` · ${number(p.area_m2, 1)} m²`;
}

// The link of a parcel opened from this page: the selection goes with it.
function parcelLink(id, values) {
  const kept = Object.fromEntries(LAND_SELECTION.map((name) => [name, values[name]]));
  return { ...kept, view: 'parcel', id };
}

export class LandPage {
  constructor(container) {
    this.loads = { describe: new Latest(), options: new Latest(), map: new Latest(),
      table: new Latest() };
    this.cursors = new Cursors();
    this.uses = null;
    this.zones = null;
    this.title = h('h1', null, t('nav.land'));
    this.picker = new AreaPicker((unit) => update({ unit, after: null, from: null, use: null,
      zone: null }));
    this.map = new ParcelMap({ describe: describeParcel,
      onSelect: (feature) => go(parcelLink(feature.id, { ...this.values, unit: this.unit })) });
    this.mapCount = h('p', { class: 'count', 'data-testid': 'map-count' });
    this.legend = h('fieldset', { class: 'legend', 'data-testid': 'land-use-filter' });
    this.areaMin = h('input', { type: 'number', min: 0, step: 'any', 'data-testid': 'area-min',
      onchange: () => this.setFilter({ amin: this.areaMin.value }) });
    this.areaMax = h('input', { type: 'number', min: 0, step: 'any', 'data-testid': 'area-max',
      onchange: () => this.setFilter({ amax: this.areaMax.value }) });
    this.zone = h('select', { 'data-testid': 'zone-select',
      onchange: () => this.setFilter({ zone: this.zone.value }) });
    this.parcelSearch = h('input', { type: 'search', 'data-testid': 'parcel-search',
      placeholder: t('search.parcelPlaceholder'), 'aria-label': t('search.parcel'),
      autocomplete: 'off', onchange: () => this.findParcel() });
    this.parcelSearchNote = h('p', { class: 'note error', 'data-testid': 'parcel-search-error',
      role: 'alert', hidden: true });
    this.exports = h('div', { class: 'exports' },
      h('button', { type: 'button', 'data-testid': 'export-csv',
        onclick: () => this.export('csv') }, t('export.csv')),
      h('button', { type: 'button', 'data-testid': 'export-geojson',
        onclick: () => this.export('geojson') }, t('export.geojson')),
      ...printTools());
    this.order = h('select', { 'data-testid': 'order-select',
      onchange: () => this.setFilter({ sort: this.order.value }) },
    ORDERS.map((o) => h('option', { value: o }, t(`sort.${o}`))));
    this.tableCount = h('p', { class: 'count', 'data-testid': 'table-count' });
    this.outlineNote = h('p', { class: 'muted', 'data-testid': 'outline-note' },
      t('map.outlineNote.none'));
    this.filterSummary = h('p', { class: 'filter-summary', 'data-testid': 'filter-summary' });
    this.table = h('div', { class: 'parcel-table', 'data-testid': 'parcel-table',
      'data-state': 'loading' });
    container.append(
      this.title,
      this.picker.element,
      h('section', { class: 'filters', 'aria-label': t('land.filters') },
        h('label', { class: 'wide' }, h('span', null, t('search.parcel')), this.parcelSearch),
        h('label', null, h('span', null, t('land.areaMin')), this.areaMin),
        h('label', null, h('span', null, t('land.areaMax')), this.areaMax),
        h('label', null, h('span', null, t('land.zone')), this.zone),
        h('label', null, h('span', null, t('land.sort')), this.order),
        h('button', { type: 'button', 'data-testid': 'reset-filters',
          onclick: () => this.setFilter({ use: null, amin: null, amax: null, zone: null,
            sheet: null, no: null }) },
        t('land.reset'))),
      this.parcelSearchNote,
      this.filterSummary,
      h('div', { class: 'map-layout' },
        this.map.element,
        h('aside', null, this.mapCount,
          h('h2', null, t('land.legend')), this.legend,
          h('p', { class: 'muted' }, t('map.help')),
          this.outlineNote)),
      h('section', null, h('div', { class: 'list-head' }, this.tableCount, this.exports),
        this.table));
  }

  // The map sheet and parcel number typed: the list and the map narrow to them.
  findParcel() {
    const text = this.parcelSearch.value.trim();
    if (!text) {
      this.parcelSearchNote.hidden = true;
      this.setFilter({ sheet: null, no: null });
      return;
    }
    const found = sheetAndParcel(text);
    this.parcelSearchNote.hidden = Boolean(found);
    if (!found) {
      this.parcelSearchNote.textContent = t('search.parcelNotUnderstood', { q: text });
      return;
    }
    this.setFilter(found);
  }

  // The current filter's parcels as a file (CSV or GeoJSON), with the signed-in key.
  async export(format) {
    if (!this.mapKey) return;
    const button = this.exports.querySelector(`[data-testid=export-${format}]`);
    button.disabled = true;
    try {
      await saveFile(`/opendata/land_parcels.${format}?${this.mapKey}`,
        `thua-dat-${this.unit.replace(':', '-')}.${format}`);
    } catch (error) {
      this.parcelSearchNote.textContent = t('export.failed', { message: error.message });
      this.parcelSearchNote.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  leave() {
    for (const load of Object.values(this.loads)) load.stop();
  }

  setFilter(changes) {
    update({ ...changes, after: null, from: null });
  }

  current(values) {
    return values === this.values;
  }

  async update(values) {
    this.values = values;
    let ref;
    try {
      // The link names the area: its parcels are asked for at once, beside its description.
      ref = await linkedUnit(values);
    } catch (error) {
      if (this.current(values)) this.fail(error);
      return;
    }
    if (!this.current(values)) return;
    const unit = unitParam(ref);
    const { filter, download: mapKey } = landFilter(values, ref);
    this.ref = ref;
    this.syncControls(values);
    this.filterSummary.textContent = this.filterText(values);
    if (unit !== this.unit) {
      this.unit = unit;
      this.uses = null;
      this.zones = null;
      this.describe(ref);
      this.loadOptions(ref);
    }
    this.renderLegend();
    this.renderZones();
    if (mapKey !== this.mapKey) {
      this.mapKey = mapKey;
      this.loads.map.stop();
      this.map.setState('loading');
      this.map.showMessage(t('state.loading'));
      // A commune's map is fetched at once; a larger area's once its count is known.
      this.mapWaiting = ref.code.length !== 5;
      if (!this.mapWaiting) this.loadMap(mapKey, null);
    }
    this.loadTable(filter, values);
  }

  // The filter in words, above the list (and on a printed sheet).
  filterText(values) {
    const parts = [];
    const uses = (values.use ?? '').split(',').filter(Boolean);
    if (uses.length) {
      const names = uses.map((code) => pick(this.uses?.find((u) => u.landUseCode === code),
        'landUseName') || code);
      parts.push(`${t('land.landUse')}: ${names.join(', ')}`);
    }
    const [amin, amax] = [finite(values.amin), finite(values.amax)];
    if (amin !== null || amax !== null) {
      parts.push(`${t('col.area')}: ${amin === null ? '' : `≥ ${number(amin)}`}${
        amin !== null && amax !== null ? ', ' : ''}${amax === null ? '' : `≤ ${number(amax)}`}`);
    }
    if (values.zone) {
      const known = (this.zones ?? []).find((z) => z.planningZone === values.zone);
      parts.push(`${t('land.zone')}: ${zoneName(values.zone, known?.planningZoneNameEn)}`);
    }
    const searched = sheetAndParcelText(values);
    if (searched) parts.push(searched);
    return parts.length ? `${t('land.filters')}: ${parts.join(' · ')}` : t('land.noFilter');
  }

  describe(ref) {
    return this.picker.present(this.loads.describe, ref, this.title, 'land.title',
      (error) => this.fail(error));
  }

  syncControls(values) {
    if (document.activeElement !== this.parcelSearch) this.parcelSearch.value = sheetAndParcelText(values);
    this.areaMin.value = finite(values.amin) ?? '';
    this.areaMax.value = finite(values.amax) ?? '';
    this.order.value = ORDERS.includes(values.sort) ? values.sort : 'ID';
  }

  fail(error) {
    this.leave();
    this.map.setState('error');
    this.map.showMessage(error.message);
    // Nothing below the error goes on saying it loads.
    replace(this.legend, h('legend', null, t('land.landUse')), empty(t('land.noLegend')));
    replace(this.zone, h('option', { value: '' }, t('land.anyZone')));
    this.mapCount.textContent = '';
    this.tableCount.textContent = '';
    delete this.tableCount.dataset.total;
    this.table.dataset.state = 'error';
    replace(this.table, failure(error, () => {
      this.mapKey = null;
      this.unit = null;
      this.update(this.values);
    }));
  }

  loadOptions(ref) {
    return loadPart(this.loads.options, this.legend, {
      query: OPTIONS,
      variables: { filter: { adminUnit: ref } },
      show: (answer) => {
        this.uses = answer.field('uses');
        this.zones = answer.field('zones');
        this.renderLegend();
        this.renderZones();
        this.filterSummary.textContent = this.filterText(this.values);
      },
      retry: () => this.loadOptions(ref),
    });
  }

  // The land uses of the area, as a legend whose check boxes filter; a code the link asks
  // for that the area does not have still shows, checked.
  renderLegend() {
    if (!this.uses) return;
    const chosen = new Set((this.values.use ?? '').split(',').filter(Boolean));
    const uses = [...this.uses];
    for (const code of chosen) {
      if (!uses.some((u) => u.landUseCode === code)) uses.push({ landUseCode: code, parcelCount: 0 });
    }
    const toggle = (code, on) => {
      const next = new Set(chosen);
      if (on) next.add(code); else next.delete(code);
      this.setFilter({ use: [...next].sort().join(',') || null });
    };
    replace(this.legend, h('legend', null, t('land.landUse')),
      uses.length ? uses.map((use) => h('label', { class: 'legend-item' },
        h('input', { type: 'checkbox', value: use.landUseCode, 'data-testid': `use-${use.landUseCode}`,
          checked: chosen.has(use.landUseCode),
          onchange: (event) => toggle(use.landUseCode, event.target.checked) }),
        h('span', { class: 'swatch', style: `background:${landUseColour(use.landUseCode)}` }),
        h('span', null, pick(use, 'landUseName') || use.landUseCode || t('land.noUse'),
          h('span', { class: 'code' }, ` ${use.landUseCode ?? ''}`)),
        h('span', { class: 'muted' }, ` (${number(use.parcelCount)})`)))
        : empty(t('land.empty')));
  }

  renderZones() {
    const selected = this.values.zone ?? '';
    const zones = (this.zones ?? []).filter((z) => z.planningZone);
    if (selected && !zones.some((z) => z.planningZone === selected)) {
      zones.push({ planningZone: selected, parcelCount: 0 });
    }
    replace(this.zone, h('option', { value: '' }, t('land.anyZone')),
      zones.map((z) => h('option', { value: z.planningZone },
        `${zoneName(z.planningZone, z.planningZoneNameEn)} (${number(z.parcelCount)})`)));
    this.zone.value = selected;
  }

  async loadMap(mapKey, total) {
    if (total != null && total > MAP_LIMIT) {
      this.map.setParcels([]);
      this.map.showMessage(t('land.mapTooMany', { n: number(total) }));
      this.mapCount.textContent = '';
      this.map.setState('ready', 0);
      return;
    }
    const run = this.loads.map.start();
    // A commune's other parcels show around those of the filter, and its outline around all.
    const wholeKey = landFilter({}, this.ref).download;
    const whole = mapKey !== wholeKey && this.ref.code.length === 5;
    let collection;
    let context = null;
    try {
      if (whole) {
        [collection, context] = await this.filteredInWhole(mapKey, wholeKey, run.signal);
      } else {
        collection = await parcelsGeojson(mapKey, { signal: run.signal });
      }
    } catch (error) {
      if (!run.current() || aborted(error)) return;
      this.map.setState('error');
      this.map.showMessage(error.message);
      return;
    }
    // A commune's outline (the boundary file's, else derived from its parcels) carries its
    // name; a province's communes are outlined on the overview instead.
    const unit = this.ref.code.length === 5
      ? await describeUnit(this.ref).catch(() => null) : null;
    if (!run.current()) return;
    const drawn = this.map.setParcels(collection.features,
      { keepView: this.drawnUnit === this.unit });
    this.map.setContext(context?.features ?? []);
    const outline = boundaryOutline(unit?.outlineWkt, unit?.name);
    const source = outline ? OUTLINE_SOURCES[unit.outlineSource] ?? 'none' : 'none';
    this.map.setOutlines(outline ? [outline] : []);
    this.map.element.dataset.outline = source;
    this.outlineNote.textContent = t(`map.outlineNote.${source}`);
    this.map.setSheets(sheetOutlines((context ?? collection).features));
    this.drawnUnit = this.unit;
    this.map.showMessage(drawn ? null : t('land.empty'));
    this.mapCount.textContent = t('land.mapCount', { n: number(drawn) });
    this.map.setState('ready', drawn);
  }

  // A filtered commune: its whole GeoJSON (the context, kept while the commune stays) and
  // the filter's parcel IDs alone, its parcels taken from the whole. Should the two differ
  // (a publication in between), the whole is read again and the filter's parcels in full.
  async filteredInWhole(mapKey, wholeKey, signal) {
    const [context, chosen] = await Promise.all([this.wholeArea(wholeKey),
      parcelsGeojson(mapKey, { signal, shape: IDS_ONLY })]);
    const byId = new Map(context.features.map((f) => [f.id, f]));
    const features = chosen.features.map((f) => byId.get(f.id));
    if (features.every(Boolean)) return [{ ...chosen, features }, context];
    this.whole = null;
    return Promise.all([
      parcelsGeojson(mapKey, { signal }),
      this.wholeArea(wholeKey)]);
  }

  // Every parcel of the area (the map's context), kept while the area stays.
  wholeArea(key) {
    if (this.whole?.key !== key) {
      const promise = parcelsGeojson(key);
      this.whole = { key, promise };
      promise.catch(() => {
        if (this.whole?.promise === promise) this.whole = null;
      });
    }
    return this.whole.promise;
  }

  async loadTable(filter, values) {
    const run = this.loads.table.start();
    const cursors = this.cursors.of(values);
    this.table.dataset.state = 'loading';
    this.table.setAttribute('aria-busy', 'true');
    if (!this.table.querySelector('table')) replace(this.table, loading());
    const orderBy = ORDERS.includes(values.sort) ? values.sort : 'ID';
    let connection;
    try {
      connection = (await gql(PARCELS, { filter, orderBy, after: values.after || null },
        { signal: run.signal })).field('landParcels');
    } catch (error) {
      if (!run.current() || aborted(error)) return;
      if (staleCursor(error, values)) {
        update({ after: null, from: null }, { replace: true });
        return;
      }
      this.fail(error);
      return;
    }
    if (!run.current()) return;
    this.table.removeAttribute('aria-busy');
    const from = Number(values.from) || 0;
    this.tableCount.textContent = t('land.tableCount', { n: number(connection.totalCount) });
    this.tableCount.dataset.total = String(connection.totalCount);
    if (this.mapWaiting) {
      this.mapWaiting = false;
      this.loadMap(this.mapKey, connection.totalCount);
    }
    if (!connection.nodes.length) {
      replace(this.table, empty(t('land.empty')));
    } else {
      replace(this.table, table([
        { label: t('col.sheet'), numeric: true, cell: (p) => p.mapSheetNumber },
        { label: t('col.parcel'), numeric: true,
          cell: (p) => link(href(parcelLink(p.id, { ...values, unit: this.unit })),
            p.parcelNumber ?? '?') },
        { label: t('col.area'), numeric: true, cell: (p) => number(p.areaM2, 1) },
        { label: t('col.landUse'), cell: (p) => h('span', null,
          h('span', { class: 'swatch', style: `background:${landUseColour(p.landUseCode)}` }),
          pick(p, 'landUseName') || p.landUseCode || '', h('span', { class: 'code' },
            ` ${p.landUseCode ?? ''}`)) },
        { label: t('col.zone'), cell: (p) => zoneName(p.planningZone, p.planningZoneNameEn) },
        { label: t('col.commune'), secondary: true, cell: (p) => p.commune?.name },
        { label: t('col.legacyCommune'), cell: (p) => p.legacyCommune?.name },
        { label: t('col.certificate'), secondary: true, cell: (p) => date(p.certificateIssuedOn) },
      ], connection.nodes.map((p) => ({ data: p, attrs: { 'data-parcel-id': p.id,
        'data-legacy-commune': p.legacyCommuneCode,
        onmouseenter: () => this.map.highlight([p.id]),
        onmouseleave: () => this.map.highlight([]),
        onfocusin: () => this.map.highlight([p.id]),
        onfocusout: () => this.map.highlight([]) } }))),
      pager({ from, shown: connection.nodes.length, total: connection.totalCount,
        pageInfo: connection.pageInfo, pageSize: PAGE_SIZE, cursors }));
    }
    this.table.dataset.state = 'ready';
  }
}
