// Enterprises: search by name (accents optional) or enterprise code, filter by industry,
// legal form, status, kind and area, with the area's enterprises by industry and by status.

import { aborted, gql, Latest } from '../api.js';
import { AreaPicker, linkedUnit } from '../areas.js';
import { barChart, downloadCsv } from '../charts.js';
import {
  debounce, empty, failure, h, link, loading, replace, saveBlob, table,
} from '../dom.js';
import { date, number, pick, t } from '../i18n.js';
import { printTools } from '../print.js';
import { href, unitParam, update } from '../state.js';
import { Cursors, pager, staleCursor } from './paging.js';
import { loadPart } from './parts.js';

const PAGE_SIZE = 50;
export const INDUSTRY_FIELDS = `industryDivisionCode industryDivisionNameVi industryDivisionNameEn
  industrySectionCode industrySectionNameVi industrySectionNameEn`;
const TYPES = ['ENTERPRISE', 'BRANCH', 'HOUSEHOLD_BUSINESS'];
const ORDERS = ['NAME', 'REGISTERED_ON', 'ID'];
const ENTERPRISE_CODE = /^\d{10}(-\d{3})?$/;
// The parameters of the list's selection: an enterprise opened from it keeps them, so that its
// back link returns to the same search, filters, order and page.
export const ENTERPRISE_SELECTION = ['unit', 'q', 'in', 'industry', 'form', 'status', 'type',
  'sort', 'after', 'from'];

const OPTIONS = `query EnterpriseOptions($filter: OrganizationFilter) {
  industries: enterpriseStatistics(groupBy: [INDUSTRY_DIVISION, INDUSTRY_SECTION],
    filter: $filter) {
    ${INDUSTRY_FIELDS} organizationCount
  }
  forms: enterpriseStatistics(groupBy: [LEGAL_FORM], filter: $filter) {
    legalFormCode legalFormNameVi legalFormNameEn organizationCount
  }
  statuses: enterpriseStatistics(groupBy: [STATUS], filter: $filter) {
    status statusNameVi statusNameEn organizationCount
  }
}`;

const ROW = `id name organizationType enterpriseCode industryCode ${INDUSTRY_FIELDS}
  status statusNameVi statusNameEn addressLine
  registeredOn enterprise { legalFormNameVi legalFormNameEn }
  commune { name latitude longitude }
  householdBusiness { registrationNumber }`;

// The enterprises of the list's search and filters, by industry and by status.
const CHARTS = `query EnterpriseCharts($filter: OrganizationFilter) {
  industries: enterpriseStatistics(groupBy: [INDUSTRY_DIVISION, INDUSTRY_SECTION],
    filter: $filter) {
    ${INDUSTRY_FIELDS} organizationCount
  }
  statuses: enterpriseStatistics(groupBy: [STATUS], filter: $filter) {
    status statusNameVi statusNameEn organizationCount
  }
}`;

const LIST = `query Enterprises($filter: OrganizationFilter, $orderBy: OrganizationOrder!,
  $after: String) {
  organizations(filter: $filter, orderBy: $orderBy, first: ${PAGE_SIZE}, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ${ROW} }
  }
}`;

// Pages of the list as the CSV download walks them.
const EXPORT = `query EnterpriseExport($filter: OrganizationFilter, $orderBy: OrganizationOrder!,
  $after: String) {
  organizations(filter: $filter, orderBy: $orderBy, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { ${ROW} }
  }
}`;
// The most rows a download of the list holds; a larger list asks for a narrower search.
const EXPORT_LIMIT = 10000;

// The columns of a downloaded list, and a row's values.
const EXPORT_HEADER = ['organization_id', 'name', 'enterprise_code', 'registration_number',
  'organization_type', 'industry_code', 'industry_division', 'legal_form', 'status',
  'address_line', 'commune', 'registered_on'];

function exportValues(o) {
  return [o.id, o.name, o.enterpriseCode, o.householdBusiness?.registrationNumber,
    o.organizationType, o.industryCode, pick(o, 'industryDivisionName'),
    pick(o.enterprise, 'legalFormName'), o.status, o.addressLine, o.commune?.name,
    o.registeredOn];
}

const BY_CODE = `query EnterpriseByCode($code: String!) { enterprise(code: $code) { ${ROW} } }`;

// A division by its VSIC 2018 name (its section's when the seed has none), as the
// warehouse's seeds give them.
export function industryLabel(record) {
  if (!record?.industryDivisionCode) return t('industry.other');
  return `${record.industryDivisionCode} · ${pick(record, 'industryDivisionName')
    || pick(record, 'industrySectionName') || t('industry.other')}`;
}

// The link of an enterprise opened from the list: the selection goes with it.
function enterpriseLink(id, values) {
  const kept = Object.fromEntries(ENTERPRISE_SELECTION.map((name) => [name, values[name]]));
  return { ...kept, view: 'enterprise', id };
}

export class EnterprisesPage {
  constructor(container) {
    this.loads = { describe: new Latest(), options: new Latest(), list: new Latest(),
      charts: new Latest() };
    this.cursors = new Cursors();
    this.options = null;
    this.title = h('h1', null, t('nav.enterprises'));
    this.picker = new AreaPicker((unit) => update({ unit, after: null, from: null,
      industry: null }));
    this.search = h('input', { type: 'search', 'data-testid': 'enterprise-search',
      placeholder: t('enterprises.search'), 'aria-label': t('enterprises.search'),
      oninput: debounce(() => this.setFilter({ q: this.search.value.trim() }), 350) });
    this.searchIn = h('select', { 'data-testid': 'search-in', 'aria-label': t('enterprises.searchIn'),
      onchange: () => this.setFilter({ in: this.searchIn.value || null }) },
    h('option', { value: '' }, t('enterprises.inName')),
    h('option', { value: 'address' }, t('enterprises.inAddress')));
    this.industry = this.select('industry-select', 'industry');
    this.form = this.select('form-select', 'form');
    this.status = this.select('status-select', 'status');
    this.type = this.select('type-select', 'type');
    this.order = this.select('enterprise-order', 'sort');
    replace(this.order, ORDERS.map((o) => h('option', { value: o }, t(`sort.${o}`))));
    this.note = h('p', { class: 'muted', 'data-testid': 'code-search-note', hidden: true },
      t('enterprises.codeSearch'));
    this.charts = h('div', { class: 'charts', 'data-testid': 'enterprise-charts' });
    this.count = h('p', { class: 'count', 'data-testid': 'enterprise-count' });
    this.exportButton = h('button', { type: 'button', 'data-testid': 'export-csv',
      onclick: () => this.export() }, t('export.csv'));
    this.geojsonButton = h('button', { type: 'button', 'data-testid': 'export-geojson',
      onclick: () => this.exportGeoJson() }, t('export.geojson'));
    this.printTools = printTools();
    // The search and filters in words, above the list and on a printed sheet.
    this.filterSummary = h('p', { class: 'filter-summary', 'data-testid': 'filter-summary' });
    this.exportNote = h('p', { class: 'note error', 'data-testid': 'export-error', role: 'alert',
      hidden: true });
    this.table = h('div', { 'data-testid': 'enterprise-table', 'data-state': 'loading' });
    // The results first; the charts below them count the same search.
    container.append(this.title, this.picker.element,
      h('section', { class: 'filters' },
        h('label', { class: 'wide' }, h('span', null, t('enterprises.searchLabel')),
          h('span', { class: 'search-with-scope' }, this.search, this.searchIn)),
        h('label', null, h('span', null, t('col.industry')), this.industry),
        h('label', null, h('span', null, t('col.legalForm')), this.form),
        h('label', null, h('span', null, t('col.status')), this.status),
        h('label', null, h('span', null, t('col.type')), this.type),
        h('label', null, h('span', null, t('land.sort')), this.order)),
      this.note, this.filterSummary,
      h('section', { class: 'enterprise-list' }, h('div', { class: 'list-head' }, this.count,
        h('div', { class: 'exports' }, this.exportButton, this.geojsonButton,
          ...this.printTools)), this.exportNote,
      this.table),
      h('section', { class: 'charts-section' }, h('h2', null, t('enterprises.charts')), this.charts));
  }

  select(testid, param) {
    return h('select', { 'data-testid': testid,
      onchange: (event) => this.setFilter({ [param]: event.target.value }) });
  }

  leave() {
    for (const load of Object.values(this.loads)) load.stop();
  }

  setFilter(changes) {
    update({ ...changes, after: null, from: null });
  }

  async update(values) {
    this.values = values;
    let ref;
    try {
      ref = await linkedUnit(values);
    } catch (error) {
      if (values === this.values) this.fail(error);
      return;
    }
    if (values !== this.values) return;
    this.ref = ref;
    if (document.activeElement !== this.search) this.search.value = values.q ?? '';
    this.searchIn.value = values.in === 'address' ? 'address' : '';
    this.search.placeholder = t(values.in === 'address' ? 'enterprises.searchAddress'
      : 'enterprises.search');
    const unit = unitParam(ref);
    if (unit !== this.unit) {
      this.unit = unit;
      this.options = null;
      this.describe(ref);
      this.loadOptions(ref);
    }
    this.syncControls();
    this.loadList(ref, values);
    this.loadCharts(ref, values);
  }

  fail(error) {
    this.leave();
    this.count.textContent = '';
    delete this.count.dataset.total;
    this.table.dataset.state = 'error';
    replace(this.charts);
    replace(this.table, failure(error, () => {
      this.unit = null;
      this.update(this.values);
    }));
  }

  describe(ref) {
    return this.picker.present(this.loads.describe, ref, this.title, 'enterprises.title',
      (error) => this.fail(error));
  }

  // The area's industries, legal forms and statuses: the choices of the filters, kept until
  // the area changes.
  async loadOptions(ref) {
    const run = this.loads.options.start();
    try {
      const answer = await gql(OPTIONS, { filter: { adminUnit: ref } }, { signal: run.signal });
      if (!run.current()) return;
      this.options = { industries: answer.field('industries'), forms: answer.field('forms'),
        statuses: answer.field('statuses') };
    } catch (error) {
      if (!run.current() || aborted(error)) return;
      this.fail(error);
      return;
    }
    this.syncControls();
  }

  // The charts count what the list shows: the area, the search and the filters.
  loadCharts(ref, values) {
    const byCode = ENTERPRISE_CODE.test(values.q ?? '');
    const short = values.q && values.q.length < 2;
    if (byCode || short) {
      this.loads.charts.stop();
      replace(this.charts);
      this.charts.dataset.state = 'ready';
      return null;
    }
    const filter = this.filterOf(ref, values);
    const key = JSON.stringify(filter);
    if (key === this.chartsKey && this.charts.dataset.state === 'ready') return null;
    this.chartsKey = key;
    this.charts.dataset.state = 'loading';
    return loadPart(this.loads.charts, this.charts, {
      query: CHARTS,
      variables: { filter },
      show: (answer) => {
        this.renderCharts(answer.field('industries'), answer.field('statuses'));
        this.charts.dataset.state = 'ready';
      },
      retry: () => {
        this.chartsKey = null;
        this.loadCharts(ref, values);
      },
    });
  }

  renderCharts(industries, statuses) {
    const byIndustry = [...industries].sort((a, b) => b.organizationCount - a.organizationCount);
    const byStatus = [...statuses].sort((a, b) => b.organizationCount - a.organizationCount);
    replace(this.charts,
      barChart({ title: t('enterprises.byIndustry'), testid: 'chart-industry',
        rows: byIndustry.map((r) => ({ label: industryLabel(r),
          value: r.organizationCount })),
        csv: { filename: 'enterprises-by-industry.csv',
          header: ['industry_division_code', 'industry_division', 'industry_section',
            'organization_count'],
          rows: byIndustry.map((r) => [r.industryDivisionCode, pick(r, 'industryDivisionName'),
            pick(r, 'industrySectionName'), r.organizationCount]) } }),
      barChart({ title: t('enterprises.byStatus'), testid: 'chart-status',
        rows: byStatus.map((r) => ({ label: pick(r, 'statusName') || r.status || '?',
          value: r.organizationCount })),
        csv: { filename: 'enterprises-by-status.csv', header: ['status', 'status_name', 'organization_count'],
          rows: byStatus.map((r) => [r.status, pick(r, 'statusName'), r.organizationCount]) } }));
  }

  // The controls show the link's values, including one the area's lists do not hold.
  syncControls() {
    const values = this.values;
    const { industries, forms, statuses } = this.options ?? { industries: [], forms: [], statuses: [] };
    const options = (select, any, items, value, label, chosen) => {
      const listed = items.filter(value).map((item) => [value(item),
        `${label(item)} (${number(item.organizationCount)})`]);
      if (chosen && !listed.some(([v]) => v === chosen)) listed.push([chosen, chosen]);
      replace(select, h('option', { value: '' }, any),
        listed.map(([v, text]) => h('option', { value: v }, text)));
      select.value = chosen ?? '';
    };
    options(this.industry, t('enterprises.anyIndustry'),
      [...industries].sort((a, b) => (a.industryDivisionCode ?? '').localeCompare(b.industryDivisionCode ?? '')),
      (r) => r.industryDivisionCode, (r) => industryLabel(r), values.industry);
    options(this.form, t('enterprises.anyForm'), forms, (r) => r.legalFormCode,
      (r) => pick(r, 'legalFormName') || r.legalFormCode, values.form);
    options(this.status, t('enterprises.anyStatus'), statuses, (r) => r.status,
      (r) => pick(r, 'statusName') || r.status, values.status);
    replace(this.type, h('option', { value: '' }, t('enterprises.anyType')),
      TYPES.map((type) => h('option', { value: type }, t(`type.${type}`))));
    this.type.value = TYPES.includes(values.type) ? values.type : '';
    this.order.value = ORDERS.includes(values.sort) ? values.sort : 'NAME';
    // A search by code finds one record wherever it is: the filters do not apply.
    const byCode = ENTERPRISE_CODE.test(values.q ?? '');
    for (const control of [this.industry, this.form, this.status, this.type, this.order]) {
      control.disabled = byCode;
    }
    this.note.hidden = !byCode;
    this.filterSummary.textContent = this.filterText(values);
  }

  // The search and the filters chosen, in words (each filter by its option's label).
  filterText(values) {
    const parts = [];
    if (values.q) {
      parts.push(`${t('enterprises.searchLabel')}: “${values.q}” (${t(values.in === 'address'
        ? 'enterprises.inAddress' : 'enterprises.inName')})`);
    }
    const chosen = (select, label) => {
      const option = select.selectedOptions?.[0];
      if (select.value && option) parts.push(`${label}: ${option.textContent.replace(/ \([\d.,]+\)$/, '')}`);
    };
    chosen(this.industry, t('col.industry'));
    chosen(this.form, t('col.legalForm'));
    chosen(this.status, t('col.status'));
    chosen(this.type, t('col.type'));
    return parts.length ? `${t('land.filters')}: ${parts.join(' · ')}` : t('enterprises.noFilter');
  }

  // Every row of the search and filters, page by page (open registration facts only), for
  // a download; null (and said) when there are too many or a page fails.
  async exportRows() {
    const values = this.values;
    const total = Number(this.count.dataset.total);
    this.exportNote.hidden = true;
    if (!this.ref || total > EXPORT_LIMIT) {
      this.exportNote.textContent = t('export.tooMany', { n: number(EXPORT_LIMIT) });
      this.exportNote.hidden = false;
      return null;
    }
    this.exportButton.disabled = true;
    this.geojsonButton.disabled = true;
    const rows = [];
    try {
      if (ENTERPRISE_CODE.test(values.q ?? '')) {
        const found = (await gql(BY_CODE, { code: values.q })).field('enterprise');
        if (found) rows.push(found);
      } else {
        let after = null;
        do {
          const page = (await gql(EXPORT, { filter: this.filterOf(this.ref, values),
            orderBy: ORDERS.includes(values.sort) ? values.sort : 'NAME', after }))
            .field('organizations');
          rows.push(...page.nodes);
          after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        } while (after && rows.length < EXPORT_LIMIT);
      }
    } catch (error) {
      this.exportNote.textContent = t('export.failed', { message: error.message });
      this.exportNote.hidden = false;
      return null;
    } finally {
      this.exportButton.disabled = false;
      this.geojsonButton.disabled = false;
    }
    return rows;
  }

  filename(extension) {
    return `doanh-nghiep-${unitParam(this.ref).replace(':', '-')}.${extension}`;
  }

  // The list as CSV.
  async export() {
    const rows = await this.exportRows();
    if (!rows) return;
    downloadCsv({ filename: this.filename('csv'), header: EXPORT_HEADER,
      rows: rows.map(exportValues) });
  }

  // The list as GeoJSON for a GIS: each at its commune's centre (kho holds no coordinates
  // of addresses), with the CSV's columns as properties.
  async exportGeoJson() {
    const rows = await this.exportRows();
    if (!rows) return;
    const features = rows.map((o) => {
      const values = exportValues(o);
      return { type: 'Feature', id: o.id,
        geometry: o.commune?.longitude == null ? null
          : { type: 'Point', coordinates: [o.commune.longitude, o.commune.latitude] },
        properties: Object.fromEntries(EXPORT_HEADER.map((name, i) => [name, values[i] ?? null])) };
    });
    saveBlob(new Blob([JSON.stringify({ type: 'FeatureCollection', features })],
      { type: 'application/geo+json' }), this.filename('geojson'));
  }

  filterOf(ref, values) {
    const filter = { adminUnit: ref, organizationType: TYPES.includes(values.type) ? [values.type] : TYPES };
    if (values.q) filter[values.in === 'address' ? 'address' : 'name'] = values.q;
    if (values.industry) filter.industryCode = values.industry;
    if (values.form) filter.legalFormCode = [values.form];
    if (values.status) filter.status = [values.status];
    return filter;
  }

  async loadList(ref, values) {
    const run = this.loads.list.start();
    const cursors = this.cursors.of(values);
    this.table.dataset.state = 'loading';
    if (!this.table.querySelector('table')) replace(this.table, loading());
    const q = values.q ?? '';
    if (q && q.length < 2) {
      this.count.textContent = '';
      replace(this.table, empty(t('enterprises.searchShort')));
      this.table.dataset.state = 'ready';
      return;
    }
    let nodes;
    let connection = null;
    try {
      if (ENTERPRISE_CODE.test(q)) {
        const found = (await gql(BY_CODE, { code: q }, { signal: run.signal })).field('enterprise');
        nodes = found ? [found] : [];
      } else {
        connection = (await gql(LIST, { filter: this.filterOf(ref, values),
          orderBy: ORDERS.includes(values.sort) ? values.sort : 'NAME',
          after: values.after || null }, { signal: run.signal })).field('organizations');
        nodes = connection.nodes;
      }
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
    const total = connection ? connection.totalCount : nodes.length;
    const from = Number(values.from) || 0;
    this.count.textContent = t('enterprises.count', { n: number(total) });
    this.count.dataset.total = String(total);
    replace(this.table, nodes.length ? [table([
      { label: t('col.name'), cell: (o) => link(href(enterpriseLink(o.id,
        { ...values, unit: unitParam(ref) })), o.name ?? '') },
      { label: t('col.code'), cell: (o) => o.enterpriseCode ?? o.householdBusiness?.registrationNumber },
      { label: t('col.type'), secondary: true, cell: (o) => t(`type.${o.organizationType}`) },
      { label: t('col.industry'), cell: (o) => (o.industryCode ? h('span', { title: o.industryCode },
        industryLabel(o)) : '') },
      { label: t('col.legalForm'), secondary: true, cell: (o) => pick(o.enterprise, 'legalFormName') },
      { label: t('col.status'), cell: (o) => pick(o, 'statusName') || o.status },
      { label: t('enterprise.address'), cell: (o) => [o.addressLine, o.commune?.name]
        .filter(Boolean).join(', ') },
      { label: t('col.registeredOn'), secondary: true, cell: (o) => date(o.registeredOn) },
    ], nodes.map((o) => ({ data: o, attrs: { 'data-organization-id': o.id } })),
    { 'data-testid': 'enterprise-rows' }),
    connection ? pager({ from, shown: nodes.length, total, pageInfo: connection.pageInfo,
      pageSize: PAGE_SIZE, cursors }) : null]
      : empty(t('enterprises.empty')));
    this.table.dataset.state = 'ready';
  }
}
