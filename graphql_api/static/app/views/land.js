// Land: a commune's (or province's) parcels on a map coloured by land use, the same parcels
// in a table, and the filters both follow. The map draws from the open-data GeoJSON of the
// filter, the table pages through landParcels with the same filter.

import { aborted, download, gql, Latest } from '../api.js';
import { AreaPicker, linkedUnit } from '../areas.js';
import { empty, failure, h, link, loading, replace, table } from '../dom.js';
import { date, number, pick, t } from '../i18n.js';
import { landUseColour, ParcelMap } from '../map.js';
import { go, href, unitParam, update } from '../state.js';
import { Cursors, pager, staleCursor } from './paging.js';
import { loadPart } from './parts.js';

const PAGE_SIZE = 50;
// Above this many parcels the map asks for a smaller area instead of drawing.
const MAP_LIMIT = 20000;
const ORDERS = ['ID', 'PARCEL_NUMBER', 'AREA_DESC', 'AREA_ASC'];

const OPTIONS = `query LandOptions($filter: LandParcelFilter) {
  uses: landAreaByUse(filter: $filter, groupBy: [LAND_USE]) {
    landUseCode landUseNameVi landUseNameEn parcelCount totalAreaM2
  }
  zones: landAreaByUse(filter: $filter, groupBy: [PLANNING_ZONE]) { planningZone parcelCount }
}`;

const PARCELS = `query LandParcels($filter: LandParcelFilter, $orderBy: LandParcelOrder!, $after: String) {
  landParcels(filter: $filter, orderBy: $orderBy, first: ${PAGE_SIZE}, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id mapSheetNumber parcelNumber areaM2 landUseCode landUseNameVi landUseNameEn
      planningZone certificateIssuedOn legacyCommuneCode commune { name } legacyCommune { name }
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
  return { filter, download: download.toString() };
}

function describeParcel(feature) {
  const p = feature.properties;
  return `${t('col.sheet')} ${p.map_sheet_number ?? '?'} · ${t('col.parcel')} ${p.parcel_number ?? '?'}`
    + ` · ${p.land_use_code ?? ''} · ${number(p.area_m2, 1)} m²`;
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
      onSelect: (feature) => go({ view: 'parcel', id: feature.id }) });
    this.mapCount = h('p', { class: 'count', 'data-testid': 'map-count' });
    this.legend = h('fieldset', { class: 'legend', 'data-testid': 'land-use-filter' });
    this.areaMin = h('input', { type: 'number', min: 0, step: 'any', 'data-testid': 'area-min',
      onchange: () => this.setFilter({ amin: this.areaMin.value }) });
    this.areaMax = h('input', { type: 'number', min: 0, step: 'any', 'data-testid': 'area-max',
      onchange: () => this.setFilter({ amax: this.areaMax.value }) });
    this.zone = h('select', { 'data-testid': 'zone-select',
      onchange: () => this.setFilter({ zone: this.zone.value }) });
    this.order = h('select', { 'data-testid': 'order-select',
      onchange: () => this.setFilter({ sort: this.order.value }) },
    ORDERS.map((o) => h('option', { value: o }, t(`sort.${o}`))));
    this.tableCount = h('p', { class: 'count', 'data-testid': 'table-count' });
    this.table = h('div', { class: 'parcel-table', 'data-testid': 'parcel-table',
      'data-state': 'loading' });
    container.append(
      this.title,
      this.picker.element,
      h('section', { class: 'filters', 'aria-label': t('land.filters') },
        h('label', null, h('span', null, t('land.areaMin')), this.areaMin),
        h('label', null, h('span', null, t('land.areaMax')), this.areaMax),
        h('label', null, h('span', null, t('land.zone')), this.zone),
        h('label', null, h('span', null, t('land.sort')), this.order),
        h('button', { type: 'button', 'data-testid': 'reset-filters',
          onclick: () => this.setFilter({ use: null, amin: null, amax: null, zone: null }) },
        t('land.reset'))),
      h('div', { class: 'map-layout' },
        this.map.element,
        h('aside', null, this.mapCount,
          h('h2', null, t('land.legend')), this.legend,
          h('p', { class: 'muted' }, t('map.help')))),
      h('section', null, this.tableCount, this.table));
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
    this.syncControls(values);
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

  describe(ref) {
    return this.picker.present(this.loads.describe, ref, this.title, 'land.title',
      (error) => this.fail(error));
  }

  syncControls(values) {
    this.areaMin.value = finite(values.amin) ?? '';
    this.areaMax.value = finite(values.amax) ?? '';
    this.order.value = ORDERS.includes(values.sort) ? values.sort : 'ID';
  }

  fail(error) {
    this.leave();
    this.map.setState('error');
    this.map.showMessage(error.message);
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
        h('span', null, `${use.landUseCode}${use.landUseNameVi ? ` · ${pick(use, 'landUseName')}` : ''}`),
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
        `${z.planningZone} (${number(z.parcelCount)})`)));
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
    let collection;
    try {
      collection = await download(`/opendata/land_parcels.geojson?${mapKey}`,
        { signal: run.signal });
    } catch (error) {
      if (!run.current() || aborted(error)) return;
      this.map.setState('error');
      this.map.showMessage(error.message);
      return;
    }
    if (!run.current()) return;
    const drawn = this.map.setParcels(collection.features,
      { keepView: this.drawnUnit === this.unit });
    this.drawnUnit = this.unit;
    this.map.showMessage(drawn ? null : t('land.empty'));
    this.mapCount.textContent = t('land.mapCount', { n: number(drawn) });
    this.map.setState('ready', drawn);
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
          cell: (p) => link(href({ view: 'parcel', id: p.id }), p.parcelNumber ?? '?') },
        { label: t('col.area'), numeric: true, cell: (p) => number(p.areaM2, 1) },
        { label: t('col.landUse'), cell: (p) => h('span', null,
          h('span', { class: 'swatch', style: `background:${landUseColour(p.landUseCode)}` }),
          `${p.landUseCode ?? ''} · ${pick(p, 'landUseName')}`) },
        { label: t('col.zone'), cell: (p) => p.planningZone },
        { label: t('col.commune'), cell: (p) => p.commune?.name },
        { label: t('col.legacyCommune'), cell: (p) => p.legacyCommune?.name },
        { label: t('col.certificate'), cell: (p) => date(p.certificateIssuedOn) },
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
