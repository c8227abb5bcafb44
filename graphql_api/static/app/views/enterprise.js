// One enterprise, branch or household business: its registration, its branches and the
// parcels it holds (on a map), and its legal representative as far as the viewer may see.

import { Latest } from '../api.js';
import { empty, facts, guarded, h, link, notFound, replace, table } from '../dom.js';
import { date, number, pick, sourceName, t } from '../i18n.js';
import { ParcelMap, wktPolygon } from '../map.js';
import { go, href } from '../state.js';
import { ENTERPRISE_SELECTION, INDUSTRY_FIELDS, industryLabel } from './enterprises.js';
import { asOfDate, asOfPicker, backToRecord, loadPart } from './parts.js';

const ORGANIZATION = `query Organization($id: ID!, $asOf: Date) {
  organization(id: $id, asOf: $asOf) {
    id name organizationType enterpriseCode industryCode status ${INDUSTRY_FIELDS}
    statusNameVi statusNameEn addressLine registeredOn sourceSystem sourceUpdatedAt
    recordStatus mergedInto { id }
    enterprise { legalFormNameVi legalFormNameEn charterCapitalVnd }
    branch { parent { id name enterpriseCode } }
    householdBusiness { registrationNumber }
    commune { code name }
    branches { id name enterpriseCode status statusNameVi statusNameEn commune { name } }
    landParcels {
      id mapSheetNumber parcelNumber areaM2 landUseCode landUseNameVi landUseNameEn boundaryWkt
      commune { name }
    }
    legalRepresentatives { id role fullName registeredOn }
  }
}`;

export class EnterprisePage {
  constructor(container) {
    this.container = container;
    this.load = new Latest();
  }

  leave() {
    this.load.stop();
  }

  update(values) {
    return loadPart(this.load, this.container, {
      query: ORGANIZATION,
      variables: { id: values.id ?? '', asOf: asOfDate(values) },
      show: (answer) => {
        const organization = answer.field('organization');
        if (organization?.mergedInto) {
          go({ view: 'enterprise', id: organization.mergedInto.id }, { replace: true });
        } else if (organization) {
          this.render(organization, answer, values);
        } else if (asOfDate(values)) {
          replace(this.container, asOfPicker(values), notFound(t('asOf.none')));
        } else {
          replace(this.container, notFound());
        }
      },
      retry: () => this.update(values),
    });
  }

  render(o, answer, values) {
    document.title = `${o.name} — kho`;
    const parcels = o.landParcels ?? [];
    const map = parcels.length ? new ParcelMap({ testid: 'enterprise-parcels-map', compact: true,
      describe: (f) => `${t('col.parcel')} ${f.properties.parcel_number} · ${f.properties.land_use_code}`,
      onSelect: (f) => go({ view: 'parcel', id: f.id, back: `enterprise:${o.id}` }) }) : null;
    replace(this.container,
      backToRecord(values) ?? h('p', { class: 'back' }, link(href(backTo(o, values)),
        t('enterprise.back'))),
      h('h1', { 'data-testid': 'enterprise-name' }, o.name),
      asOfPicker(values),
      h('section', null, h('h2', null, t('enterprise.facts')), facts([
        [t('col.code'), o.enterpriseCode ?? o.householdBusiness?.registrationNumber],
        [t('col.type'), t(`type.${o.organizationType}`)],
        [t('enterprise.parent'), o.branch?.parent ? link(href({ view: 'enterprise',
          id: o.branch.parent.id, back: `enterprise:${o.id}` }),
          o.branch.parent.name) : null],
        [t('col.industry'), o.industryCode ? `${industryLabel(o)} (${o.industryCode})` : null],
        [t('col.legalForm'), pick(o.enterprise, 'legalFormName')],
        [t('enterprise.capital'), number(o.enterprise?.charterCapitalVnd)],
        [t('col.status'), pick(o, 'statusName') || o.status],
        [t('enterprise.address'), [o.addressLine, o.commune?.name].filter(Boolean).join(', ')],
        [t('col.registeredOn'), date(o.registeredOn)],
        [t('parcel.source'), `${sourceName(o.sourceSystem)} · ${date(o.sourceUpdatedAt)}`],
      ])),
      h('section', { 'data-testid': 'enterprise-representatives' },
        h('h2', null, t('enterprise.representatives')),
        guarded(answer, ['organization', 'legalRepresentatives'], () => {
          const rows = o.legalRepresentatives ?? [];
          return rows.length ? table([
            { label: t('col.name'), cell: (r) => r.fullName },
            { label: t('col.role'), cell: (r) => t(`role.${r.role}`) },
            { label: t('col.registeredOn'), cell: (r) => date(r.registeredOn) },
          ], rows) : empty('—');
        })),
      h('section', { 'data-testid': 'enterprise-branches' }, h('h2', null, t('enterprise.branches')),
        o.branches?.length ? table([
          { label: t('col.name'), cell: (b) => link(href({ view: 'enterprise', id: b.id,
            back: `enterprise:${o.id}` }), b.name ?? '') },
          { label: t('col.code'), cell: (b) => b.enterpriseCode },
          { label: t('col.status'), cell: (b) => pick(b, 'statusName') || b.status },
          { label: t('col.commune'), cell: (b) => b.commune?.name },
        ], o.branches) : empty(t('enterprise.noBranches'))),
      h('section', { 'data-testid': 'enterprise-parcels' }, h('h2', null, t('enterprise.parcels')),
        guarded(answer, ['organization', 'landParcels'], () => (parcels.length ? h('div',
          { class: 'parcel-layout' }, table([
            { label: t('col.parcel'), cell: (p) => link(href({ view: 'parcel', id: p.id,
              back: `enterprise:${o.id}` }),
              `${p.mapSheetNumber ?? '?'} / ${p.parcelNumber ?? '?'}`) },
            { label: t('col.area'), numeric: true, cell: (p) => number(p.areaM2, 1) },
            { label: t('col.landUse'), cell: (p) => pick(p, 'landUseName') || p.landUseCode },
            { label: t('col.commune'), cell: (p) => p.commune?.name },
          ], parcels), map.element) : empty(t('enterprise.noParcels'))))));
    if (map) {
      requestAnimationFrame(() => {
        const features = parcels.map((p) => ({ id: p.id, geometry: wktPolygon(p.boundaryWkt),
          properties: { land_use_code: p.landUseCode, parcel_number: p.parcelNumber } }));
        map.setState('ready', map.setParcels(features.filter((f) => f.geometry)));
      });
    }
  }
}

// Back to the list the enterprise was opened from (its search and filters, kept in the
// enterprise's link), or to the enterprises of its commune.
function backTo(organization, values) {
  const kept = Object.fromEntries(ENTERPRISE_SELECTION.map((name) => [name, values[name]]));
  if (!kept.unit && organization.commune) kept.unit = `current:${organization.commune.code}`;
  return { ...kept, view: 'enterprises' };
}
