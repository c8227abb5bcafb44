// Overview of an area: its land area by use and its enterprises by industry, as charts
// whose figures download as CSV.

import { aborted, gql, Latest } from '../api.js';
import { AreaPicker, describeUnit, linkedUnit } from '../areas.js';
import { barChart } from '../charts.js';
import { failure, h, link, loading, replace } from '../dom.js';
import { number, pick, t } from '../i18n.js';
import { landUseColour } from '../map.js';
import { href, unitParam, update } from '../state.js';
import { industryLabel } from './enterprises.js';

const FIGURES = `query Overview($land: LandParcelFilter, $business: OrganizationFilter) {
  landAreaByUse(filter: $land, groupBy: [LAND_USE]) {
    landUseCode landUseNameVi landUseNameEn parcelCount totalAreaM2
  }
  enterpriseStatistics(groupBy: [INDUSTRY_DIVISION, INDUSTRY_SECTION], filter: $business) {
    industryDivisionCode industrySectionCode industrySectionNameVi industrySectionNameEn organizationCount
  }
}`;

export class OverviewPage {
  constructor(container) {
    this.load = new Latest();
    this.title = h('h1', null, t('nav.overview'));
    this.picker = new AreaPicker((unit) => update({ unit }));
    this.body = h('div', { 'data-testid': 'overview', 'data-state': 'loading' });
    container.append(this.title, this.picker.element, this.body);
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
    try {
      const ref = await linkedUnit(values);
      [unit, answer] = await Promise.all([describeUnit(ref),
        gql(FIGURES, { land: { adminUnit: ref }, business: { adminUnit: ref } },
          { signal: run.signal })]);
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
            rows: byArea.map((r) => ({ label: `${r.landUseCode} · ${pick(r, 'landUseName')}`,
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
                'industry_section', 'organization_count'],
              rows: byCount.map((r) => [unit.code, unit.generation.toLowerCase(),
                r.industryDivisionCode, pick(r, 'industrySectionName'),
                r.organizationCount]) } }),
          link(href({ view: 'enterprises', unit: here }), `${t('nav.enterprises')} ›`))));
  }
}
