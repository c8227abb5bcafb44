// Enterprises: search by name (accents optional) or enterprise code, filter by industry,
// legal form, status, kind and area, with the area's enterprises by industry and by status.

import { aborted, gql, Latest } from '../api.js';
import { AreaPicker, linkedUnit } from '../areas.js';
import { barChart } from '../charts.js';
import { debounce, empty, failure, h, link, loading, replace, table } from '../dom.js';
import { date, number, pick, t } from '../i18n.js';
import { href, unitParam, update } from '../state.js';
import { Cursors, pager, staleCursor } from './paging.js';
import { loadPart } from './parts.js';

const PAGE_SIZE = 50;
const TYPES = ['ENTERPRISE', 'BRANCH', 'HOUSEHOLD_BUSINESS'];
const ORDERS = ['NAME', 'REGISTERED_ON', 'ID'];
const ENTERPRISE_CODE = /^\d{10}(-\d{3})?$/;

const OPTIONS = `query EnterpriseOptions($filter: OrganizationFilter) {
  industries: enterpriseStatistics(groupBy: [INDUSTRY_DIVISION, INDUSTRY_SECTION],
    filter: $filter) {
    industryDivisionCode industrySectionCode industrySectionNameVi industrySectionNameEn organizationCount
  }
  forms: enterpriseStatistics(groupBy: [LEGAL_FORM], filter: $filter) {
    legalFormCode legalFormNameVi legalFormNameEn organizationCount
  }
  statuses: enterpriseStatistics(groupBy: [STATUS], filter: $filter) {
    status statusNameVi statusNameEn organizationCount
  }
}`;

const ROW = `id name organizationType enterpriseCode industryCode status statusNameVi statusNameEn
  registeredOn enterprise { legalFormNameVi legalFormNameEn } commune { name }`;

const LIST = `query Enterprises($filter: OrganizationFilter, $orderBy: OrganizationOrder!,
  $after: String) {
  organizations(filter: $filter, orderBy: $orderBy, first: ${PAGE_SIZE}, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ${ROW} }
  }
}`;

const BY_CODE = `query EnterpriseByCode($code: String!) { enterprise(code: $code) { ${ROW} } }`;

// A division with the name of its VSIC section, as the warehouse's seed gives it.
export function industryLabel(record) {
  if (!record?.industryDivisionCode) return t('industry.other');
  return `${record.industryDivisionCode} · ${pick(record, 'industrySectionName') || t('industry.other')}`;
}

export class EnterprisesPage {
  constructor(container) {
    this.loads = { describe: new Latest(), options: new Latest(), list: new Latest() };
    this.cursors = new Cursors();
    this.options = null;
    this.title = h('h1', null, t('nav.enterprises'));
    this.picker = new AreaPicker((unit) => update({ unit, after: null, from: null,
      industry: null }));
    this.search = h('input', { type: 'search', 'data-testid': 'enterprise-search',
      placeholder: t('enterprises.search'), 'aria-label': t('enterprises.search'),
      oninput: debounce(() => this.setFilter({ q: this.search.value.trim() }), 350) });
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
    this.table = h('div', { 'data-testid': 'enterprise-table', 'data-state': 'loading' });
    container.append(this.title, this.picker.element,
      h('section', { class: 'filters' },
        h('label', { class: 'wide' }, h('span', null, t('enterprises.search')), this.search),
        h('label', null, h('span', null, t('col.industry')), this.industry),
        h('label', null, h('span', null, t('col.legalForm')), this.form),
        h('label', null, h('span', null, t('col.status')), this.status),
        h('label', null, h('span', null, t('col.type')), this.type),
        h('label', null, h('span', null, t('land.sort')), this.order)),
      this.note,
      this.charts,
      h('section', null, this.count, this.table));
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
    if (document.activeElement !== this.search) this.search.value = values.q ?? '';
    const unit = unitParam(ref);
    if (unit !== this.unit) {
      this.unit = unit;
      this.options = null;
      this.describe(ref);
      this.loadOptions(ref);
    }
    this.syncControls();
    this.loadList(ref, values);
  }

  fail(error) {
    this.leave();
    this.count.textContent = '';
    delete this.count.dataset.total;
    this.table.dataset.state = 'error';
    replace(this.table, failure(error, () => {
      this.unit = null;
      this.update(this.values);
    }));
  }

  describe(ref) {
    return this.picker.present(this.loads.describe, ref, this.title, 'enterprises.title',
      (error) => this.fail(error));
  }

  // The area's enterprises by industry, legal form and status: the charts, and the choices
  // of the filters. Kept until the area changes.
  loadOptions(ref) {
    return loadPart(this.loads.options, this.charts, {
      query: OPTIONS,
      variables: { filter: { adminUnit: ref } },
      show: (answer) => {
        this.options = { industries: answer.field('industries'), forms: answer.field('forms'),
          statuses: answer.field('statuses') };
        this.renderCharts();
        this.syncControls();
      },
      retry: () => this.loadOptions(ref),
    });
  }

  renderCharts() {
    const { industries, statuses } = this.options;
    const byIndustry = [...industries].sort((a, b) => b.organizationCount - a.organizationCount);
    const byStatus = [...statuses].sort((a, b) => b.organizationCount - a.organizationCount);
    replace(this.charts,
      barChart({ title: t('enterprises.byIndustry'), testid: 'chart-industry',
        rows: byIndustry.map((r) => ({ label: industryLabel(r),
          value: r.organizationCount })),
        csv: { filename: 'enterprises-by-industry.csv',
          header: ['industry_division_code', 'industry_section', 'organization_count'],
          rows: byIndustry.map((r) => [r.industryDivisionCode,
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
  }

  filterOf(ref, values) {
    const filter = { adminUnit: ref, organizationType: TYPES.includes(values.type) ? [values.type] : TYPES };
    if (values.q) filter.name = values.q;
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
      { label: t('col.name'), cell: (o) => link(href({ view: 'enterprise', id: o.id }), o.name ?? '') },
      { label: t('col.code'), cell: (o) => o.enterpriseCode },
      { label: t('col.type'), cell: (o) => t(`type.${o.organizationType}`) },
      { label: t('col.industry'), cell: (o) => o.industryCode },
      { label: t('col.legalForm'), cell: (o) => pick(o.enterprise, 'legalFormName') },
      { label: t('col.status'), cell: (o) => pick(o, 'statusName') || o.status },
      { label: t('col.commune'), cell: (o) => o.commune?.name },
      { label: t('col.registeredOn'), cell: (o) => date(o.registeredOn) },
    ], nodes.map((o) => ({ data: o, attrs: { 'data-organization-id': o.id } })),
    { 'data-testid': 'enterprise-rows' }),
    connection ? pager({ from, shown: nodes.length, total, pageInfo: connection.pageInfo,
      pageSize: PAGE_SIZE, cursors }) : null]
      : empty(t('enterprises.empty')));
    this.table.dataset.state = 'ready';
  }
}
