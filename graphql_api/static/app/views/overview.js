// Overview of an area: its land area by use and its enterprises by industry, as charts
// whose figures download as CSV.

import { aborted, gql, Latest } from '../api.js';
import { AreaPicker, describeUnit, linkedUnit } from '../areas.js';
import { barChart, downloadCsv } from '../charts.js';
import { communeMap } from '../choropleth.js';
import { failure, h, link, loading, replace, saveBlob } from '../dom.js';
import { number, pick, t } from '../i18n.js';
import { landUseColour, wktGeometry } from '../map.js';
import { printTools } from '../print.js';
import { href, unitParam, update } from '../state.js';
import { INDUSTRY_FIELDS, industryLabel } from './enterprises.js';

const FIGURES = `query Overview($land: LandParcelFilter, $business: OrganizationFilter) {
  landByCommune: landAreaByUse(filter: $land, groupBy: [COMMUNE, LAND_USE]) {
    communeCode landUseCode landUseNameVi landUseNameEn parcelCount totalAreaM2
  }
  businessByCommune: enterpriseStatistics(groupBy: [COMMUNE], filter: $business) {
    communeCode organizationCount
  }
  landAreaByUse(filter: $land, groupBy: [LAND_USE]) {
    landUseCode landUseNameVi landUseNameEn parcelCount totalAreaM2
  }
  enterpriseStatistics(groupBy: [INDUSTRY_DIVISION, INDUSTRY_SECTION], filter: $business) {
    ${INDUSTRY_FIELDS} organizationCount
  }
}`;

// The names of the communes and wards of a province (current map), page by page.
const COMMUNES = `query Communes($within: AdminUnitRef!, $after: String) {
  adminUnits(filter: {generation: CURRENT, level: COMMUNE, within: $within}, first: 100,
    after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { code name latitude longitude areaKm2 outlineWkt outlineSource }
  }
}`;

const MEASURES = ['parcels', 'area', 'enterprises'];

async function communeNames(ref, signal) {
  const names = new Map();
  let after = null;
  do {
    const page = (await gql(COMMUNES, { within: ref, after }, { signal })).field('adminUnits');
    for (const unit of page.nodes) names.set(unit.code, unit);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return names;
}

export class OverviewPage {
  constructor(container) {
    this.load = new Latest();
    this.title = h('h1', null, t('nav.overview'));
    this.picker = new AreaPicker((unit) => update({ unit }));
    this.body = h('div', { 'data-testid': 'overview', 'data-state': 'loading' });
    const print = h('div', { class: 'exports page-tools' }, ...printTools());
    container.append(this.title, this.picker.element, print, this.body);
  }

  leave() {
    this.load.stop();
  }

  async update(values) {
    const run = this.load.start();
    this.body.dataset.state = 'loading';
    replace(this.body, loading());
    let unit;
    let answer;
    let names = null;
    try {
      const ref = await linkedUnit(values);
      [unit, answer, names] = await Promise.all([describeUnit(ref),
        gql(FIGURES, { land: { adminUnit: ref }, business: { adminUnit: ref } },
          { signal: run.signal }),
        ref.code.length === 2 ? communeNames(ref, run.signal) : null]);
      if (!run.current()) return;
      await this.picker.show(unit);
    } catch (error) {
      if (!run.current() || aborted(error)) return;
      this.body.dataset.state = 'error';
      replace(this.body, failure(error, () => this.update(values)));
      return;
    }
    if (!run.current()) return;
    this.title.textContent = t('overview.title', { area: unit.name });
    document.title = `${this.title.textContent} — kho`;
    this.render(unit, answer.field('landAreaByUse'), answer.field('enterpriseStatistics'));
    if (names) {
      this.body.append(this.byCommune(unit, values, names, answer.field('landByCommune'),
        answer.field('businessByCommune')));
    }
    this.body.dataset.state = 'ready';
  }

  render(unit, uses, industries) {
    const here = unitParam(unit);
    const byArea = [...uses].sort((a, b) => b.totalAreaM2 - a.totalAreaM2);
    const byCount = [...industries].sort((a, b) => b.organizationCount - a.organizationCount);
    const parcels = uses.reduce((sum, r) => sum + r.parcelCount, 0);
    const area = uses.reduce((sum, r) => sum + r.totalAreaM2, 0);
    const organizations = industries.reduce((sum, r) => sum + r.organizationCount, 0);
    replace(this.body,
      h('div', { class: 'cards' },
        h('div', { class: 'card', 'data-testid': 'card-parcels' },
          h('span', null, t('overview.parcels')), h('strong', null, number(parcels))),
        h('div', { class: 'card', 'data-testid': 'card-area' },
          h('span', null, t('overview.area')), h('strong', null, `${number(area / 10000, 1)} ha`)),
        h('div', { class: 'card', 'data-testid': 'card-enterprises' },
          h('span', null, t('overview.enterprises')), h('strong', null, number(organizations)))),
      h('div', { class: 'charts' },
        h('div', null,
          barChart({ title: t('overview.landByUse'), testid: 'chart-land-use', unit: ' ha', digits: 1,
            rows: byArea.map((r) => ({ label: pick(r, 'landUseName') || r.landUseCode || '?',
              value: r.totalAreaM2 / 10000, colour: landUseColour(r.landUseCode) })),
            csv: { filename: `land-area-by-use-${unit.code}.csv`,
              header: ['admin_unit_code', 'generation', 'land_use_code', 'land_use_name',
                'parcel_count', 'total_area_m2'],
              rows: byArea.map((r) => [unit.code, unit.generation.toLowerCase(), r.landUseCode,
                pick(r, 'landUseName'), r.parcelCount, r.totalAreaM2]) } }),
          link(href({ view: 'land', unit: here }), `${t('nav.land')} ›`)),
        h('div', null,
          barChart({ title: t('overview.enterprisesByIndustry'), testid: 'chart-industry',
            rows: byCount.map((r) => ({ label: industryLabel(r),
              value: r.organizationCount })),
            csv: { filename: `enterprises-by-industry-${unit.code}.csv`,
              header: ['admin_unit_code', 'generation', 'industry_division_code',
                'industry_division', 'industry_section', 'organization_count'],
              rows: byCount.map((r) => [unit.code, unit.generation.toLowerCase(),
                r.industryDivisionCode, pick(r, 'industryDivisionName'),
                pick(r, 'industrySectionName'), r.organizationCount]) } }),
          link(href({ view: 'enterprises', unit: here }), `${t('nav.enterprises')} ›`))));
  }

  // The province commune by commune, by the measure chosen: parcels, land area or
  // enterprises, from the aggregates (never the parcels themselves).
  byCommune(unit, values, names, land, business) {
    // A measure: parcels, area, enterprises, or the area of one land use (use:LUC).
    const uses = new Map(land.filter((r) => r.landUseCode).map((r) => [r.landUseCode, r]));
    const measures = [...MEASURES, ...[...uses.keys()].sort().map((code) => `use:${code}`)];
    const measure = measures.includes(values.measure) ? values.measure : 'parcels';
    const measureName = (m) => (m.startsWith('use:') ? t('measure.use', {
      use: pick(uses.get(m.slice(4)), 'landUseName') || m.slice(4) }) : t(`measure.${m}`));
    const rows = new Map();
    const row = (code) => {
      if (!rows.has(code)) rows.set(code, { code, parcels: 0, area: 0, enterprises: 0 });
      return rows.get(code);
    };
    for (const r of land) {
      const entry = row(r.communeCode ?? '');
      entry.parcels += r.parcelCount;
      entry.area += r.totalAreaM2 / 10000;
      if (r.landUseCode) {
        entry[`use:${r.landUseCode}`] = (entry[`use:${r.landUseCode}`] ?? 0) + r.totalAreaM2 / 10000;
      }
    }
    for (const r of business) row(r.communeCode ?? '').enterprises += r.organizationCount;
    const label = (code) => (code ? names.get(code)?.name ?? code : t('overview.noCommune'));
    // Every commune of the province, those without parcels or enterprises too.
    for (const code of names.keys()) row(code);
    const value = (r) => r[measure] ?? 0;
    const sorted = [...rows.values()].sort((a, b) => value(b) - value(a)
      || label(a.code).localeCompare(label(b.code)));
    const select = h('select', { 'data-testid': 'measure-select',
      onchange: () => update({ measure: select.value === 'parcels' ? null : select.value }) },
    measures.map((m) => h('option', { value: m, selected: m === measure }, measureName(m))));
    const max = Math.max(...sorted.map(value), 1e-9);
    const byUse = measure.startsWith('use:');
    const csv = { filename: `communes-${unit.code}.csv`,
      header: ['commune_code', 'commune_name', 'parcel_count', 'total_area_ha', 'organization_count',
        ...(byUse ? [`area_ha_${measure.slice(4)}`] : [])],
      rows: sorted.map((r) => [r.code, label(r.code), r.parcels, r.area, r.enterprises,
        ...(byUse ? [value(r)] : [])]) };
    const digits = measure === 'area' || byUse ? 1 : 0;
    return h('section', { class: 'by-commune', 'data-testid': 'by-commune' },
      h('div', { class: 'list-head' }, h('h2', null, t('overview.byCommune')),
        h('div', { class: 'exports' },
          h('label', null, h('span', null, t('overview.measure')), ' ', select),
          h('button', { type: 'button', 'data-testid': 'communes-csv', onclick: () => downloadCsv(csv) },
            t('chart.csv')),
          h('button', { type: 'button', 'data-testid': 'communes-geojson',
            onclick: () => saveBlob(communesGeoJson(sorted, names, measure, value), `communes-${unit.code}.geojson`) },
          t('export.geojson')))),
      h('div', { class: 'by-commune-layout' },
        communeMap(sorted.filter((r) => names.has(r.code)).map((r) => ({ ...names.get(r.code),
          value: value(r) })), { title: measureName(measure), digits }),
        h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'commune-table' },
        h('thead', null, h('tr', null, h('th', null, t('col.commune')),
          h('th', { class: 'num' }, t('col.parcels')), h('th', { class: 'num' }, t('col.areaHa')),
          h('th', { class: 'num', title: t('measure.enterprises') }, t('col.enterprises')),
          h('th', null, measureName(measure)))),
        h('tbody', null, sorted.map((r) => h('tr', { 'data-commune': r.code },
          h('td', { class: 'name' }, r.code ? link(href({ view: 'land', unit: `current:${r.code}` }), label(r.code))
            : label(r.code)),
          h('td', { class: 'num' }, number(r.parcels)),
          h('td', { class: 'num' }, number(r.area, 1)),
          h('td', { class: 'num' }, number(r.enterprises)),
          h('td', { class: 'bar-cell' }, h('div', { class: 'bar-line' },
            h('span', { class: 'bar-track' }, h('span', { class: 'bar',
              style: `width:${(100 * value(r)) / max}%` })),
            h('span', { class: 'bar-value' }, number(value(r), digits)))))))))));
  }
}

// The communes of the table as GeoJSON (WGS 84) for a GIS: each by its outline (the
// province's boundary file's, else derived from its parcels), else a point at its centre,
// with the table's figures
// and the measure chosen; a row of no commune (unknown) is left out.
function communesGeoJson(rows, names, measure, value) {
  const features = rows.filter((r) => names.has(r.code)).map((r) => {
    const unit = names.get(r.code);
    const geometry = wktGeometry(unit.outlineWkt) ?? (unit.longitude == null ? null
      : { type: 'Point', coordinates: [unit.longitude, unit.latitude] });
    return { type: 'Feature', id: r.code, geometry, properties: {
      commune_code: r.code, commune_name: unit.name, parcel_count: r.parcels,
      total_area_ha: Math.round(r.area * 10) / 10, organization_count: r.enterprises,
      measure, value: Math.round(value(r) * 10) / 10 } };
  });
  return new Blob([JSON.stringify({ type: 'FeatureCollection', features })],
    { type: 'application/geo+json' });
}
