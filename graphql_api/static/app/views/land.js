// Land: a commune's (or province's) parcels on a map coloured by land use, the same parcels
// in a table, and the filters both follow. The map draws from the open-data GeoJSON of the
// filter, the table pages through landParcels with the same filter.

import { ApiError, download, gql } from '../api.js';
import { AreaPicker, describeUnit, homeUnit } from '../areas.js';
import { empty, failure, h, link, loading, replace, table } from '../dom.js';
import { date, number, pick, t } from '../i18n.js';
import { landUseColour, ParcelMap } from '../map.js';
import { go, href, unitRef, update } from '../state.js';
import { pager } from './paging.js';

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

// The filter of a page's link, as the API takes it and as the GeoJSON download takes it.
export function landFilter(values, ref) {
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
    if (values[param] !== undefined && values[param] !== '' && Number.isFinite(Number(values[param]))) {
      filter[field] = Number(values[param]);
      download.set(name, values[param]);
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
    this.serial = 0;
    this.cursors = new Map();
    this.title = h('h1');
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

  setFilter(changes) {
    update({ ...changes, after: null, from: null });
  }

  async update(values) {
    const serial = ++this.serial;
    this.values = values;
    // The link names the area: its parcels are asked for at once, beside its description.
    let ref = unitRef(values.unit);
    if (!ref) {
      try {
        ref = unitRef(await homeUnit());
      } catch (error) {
        this.fail(error);
        return;
      }
      if (serial !== this.serial) return;
    }
    const unitKey = `${ref.generation}:${ref.code}`;
    const { filter, download: downloadParams } = landFilter(values, ref);
    this.syncControls(values);
    if (unitKey !== this.unitKey) {
      this.unitKey = unitKey;
      this.cursors.clear();
      this.describe(ref);
      this.loadOptions(ref, serial);
    } else {
      this.renderLegend();
    }
    const mapKey = downloadParams;
    const drawMap = mapKey !== this.mapKey;
    if (drawMap) {
      this.mapKey = mapKey;
      this.map.setState('loading');
      this.map.showMessage(t('state.loading'));
    }
    // A commune's map is fetched at once; a larger area's only once its count is known.
    const mapNow = drawMap && ref.code.length === 5;
    if (mapNow) this.loadMap(downloadParams, mapKey, null);
    const total = await this.loadTable(filter, values, serial);
    if (drawMap && !mapNow && total != null && serial === this.serial) {
      this.loadMap(downloadParams, mapKey, total);
    }
  }

  async describe(ref) {
    const unitKey = `${ref.generation}:${ref.code}`;
    try {
      const unit = await describeUnit(ref);
      if (unitKey !== this.unitKey) return;
      this.title.textContent = t('land.title', { area: unit.name });
      document.title = `${this.title.textContent} — kho`;
      await this.picker.show(unit);
    } catch (error) {
      if (unitKey === this.unitKey) this.fail(error);
    }
  }

  syncControls(values) {
    this.areaMin.value = values.amin ?? '';
    this.areaMax.value = values.amax ?? '';
    this.order.value = ORDERS.includes(values.sort) ? values.sort : 'ID';
    if (this.zones) this.renderZones(values.zone);
  }

  fail(error) {
    this.map.setState('error');
    this.map.showMessage(error.message);
    this.table.dataset.state = 'error';
    replace(this.table, failure(error, () => {
      this.mapKey = null;
      this.unitKey = null;
      this.update(this.values);
    }));
  }

  async loadOptions(ref, serial) {
    replace(this.legend, loading());
    try {
      const answer = await gql(OPTIONS, { filter: { adminUnit: ref } });
      if (serial !== this.serial && this.unitKey !== `${ref.generation}:${ref.code}`) return;
      this.uses = answer.field('uses');
      this.zones = answer.field('zones');
    } catch (error) {
      replace(this.legend, failure(error));
      return;
    }
    this.renderLegend();
    this.renderZones(this.values.zone);
  }

  renderLegend() {
    if (!this.uses) return;
    const chosen = new Set((this.values.use ?? '').split(',').filter(Boolean));
    const toggle = (code, on) => {
      const next = new Set(chosen);
      if (on) next.add(code); else next.delete(code);
      this.setFilter({ use: [...next].sort().join(',') || null });
    };
    replace(this.legend, h('legend', null, t('land.landUse')),
      this.uses.length ? this.uses.map((use) => h('label', { class: 'legend-item' },
        h('input', { type: 'checkbox', value: use.landUseCode, 'data-testid': `use-${use.landUseCode}`,
          checked: chosen.has(use.landUseCode),
          onchange: (event) => toggle(use.landUseCode, event.target.checked) }),
        h('span', { class: 'swatch', style: `background:${landUseColour(use.landUseCode)}` }),
        h('span', null, `${use.landUseCode} · ${pick(use, 'landUseName')}`),
        h('span', { class: 'muted' }, ` (${number(use.parcelCount)})`)))
        : empty(t('land.empty')));
  }

  renderZones(selected) {
    replace(this.zone, h('option', { value: '' }, t('land.anyZone')),
      this.zones.filter((z) => z.planningZone).map((z) => h('option', {
        value: z.planningZone, selected: z.planningZone === selected },
      `${z.planningZone} (${number(z.parcelCount)})`)));
    this.zone.value = selected ?? '';
  }

  async loadMap(downloadParams, mapKey, total) {
    if (total != null && total > MAP_LIMIT) {
      this.map.setParcels([]);
      this.map.showMessage(t('land.mapTooMany', { n: number(total) }));
      this.mapCount.textContent = '';
      this.map.setState('ready', 0);
      return;
    }
    let collection;
    try {
      collection = await download(`/opendata/land_parcels.geojson?${downloadParams}`);
    } catch (error) {
      if (mapKey !== this.mapKey) return;
      this.map.setState('error');
      this.map.showMessage(error.message);
      return;
    }
    if (mapKey !== this.mapKey) return;
    const sameArea = this.drawnArea === this.unitKey;
    const drawn = this.map.setParcels(collection.features, { keepView: sameArea });
    this.drawnArea = this.unitKey;
    this.map.showMessage(drawn ? null : t('land.empty'));
    this.mapCount.textContent = t('land.mapCount', { n: number(drawn) });
    this.map.setState('ready', drawn);
  }

  async loadTable(filter, values, serial) {
    this.table.dataset.state = 'loading';
    this.table.setAttribute('aria-busy', 'true');
    if (!this.table.querySelector('table')) replace(this.table, loading());
    const orderBy = ORDERS.includes(values.sort) ? values.sort : 'ID';
    let connection;
    try {
      connection = (await gql(PARCELS, { filter, orderBy, after: values.after || null }))
        .field('landParcels');
    } catch (error) {
      if (serial !== this.serial) return null;
      if (error instanceof ApiError && error.code !== 'NETWORK' && values.after) {
        // A stale cursor (the order changed, the data was republished): from the start.
        update({ after: null, from: null }, { replace: true });
        return null;
      }
      this.fail(error);
      return null;
    }
    if (serial !== this.serial) return null;
    this.table.removeAttribute('aria-busy');
    const from = Number(values.from) || 0;
    this.cursors.set(from, values.after || null);
    this.tableCount.textContent = t('land.tableCount', { n: number(connection.totalCount) });
    this.tableCount.dataset.total = String(connection.totalCount);
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
        onmouseleave: () => this.map.highlight([]) } }))),
      pager({ from, shown: connection.nodes.length, total: connection.totalCount,
        pageInfo: connection.pageInfo, pageSize: PAGE_SIZE, cursors: this.cursors }));
    }
    this.table.dataset.state = 'ready';
    return connection.totalCount;
  }
}
