// One parcel: its register facts, a map of it, and its history of rights and transfers as
// far as the viewer may see them (holders are shared data, names of persons personal).

import { Latest } from '../api.js';
import { empty, facts, guarded, h, link, notFound, replace, table } from '../dom.js';
import { date, number, pick, t } from '../i18n.js';
import { ParcelMap, wktPolygon } from '../map.js';
import { href } from '../state.js';
import { loadPart } from './parts.js';

const PARCEL = `query Parcel($id: ID!) {
  landParcel(id: $id) {
    id mapSheetNumber parcelNumber areaM2 landUseCode landUseNameVi landUseNameEn landUseGroup
    planningZone boundaryWkt certificateSerial certificateIssuedOn sourceUpdatedAt
    legacyCommuneCode currentCommuneCode
    commune { code name } legacyCommune { code name }
    provenance { attribute sourceSystem updatedAt }
    rights {
      id holderType holderName ownershipShare certificateSerial validFrom validTo isCurrent
      organization { id name }
    }
    transfers { id kind kindNameVi kindNameEn transferredOn fromHolderName toHolderName }
  }
}`;

export class ParcelPage {
  constructor(container) {
    this.container = container;
    this.load = new Latest();
  }

  leave() {
    this.load.stop();
  }

  update(values) {
    return loadPart(this.load, this.container, {
      query: PARCEL,
      variables: { id: values.id ?? '' },
      show: (answer) => {
        const parcel = answer.field('landParcel');
        if (parcel) this.render(parcel, answer); else replace(this.container, notFound());
      },
      retry: () => this.update(values),
    });
  }

  render(parcel, answer) {
    const title = t('parcel.title', { parcel: parcel.parcelNumber ?? '?',
      sheet: parcel.mapSheetNumber ?? '?' });
    document.title = `${title} — kho`;
    const map = new ParcelMap({ interactive: false, testid: 'parcel-shape' });
    const geometry = wktPolygon(parcel.boundaryWkt);
    const commune = parcel.commune ?? parcel.legacyCommune;
    const unit = parcel.commune ? `current:${parcel.commune.code}` : `legacy:${parcel.legacyCommuneCode}`;
    replace(this.container,
      h('p', null, link(href({ view: 'land', unit }), t('parcel.back', { area: commune?.name ?? '' }))),
      h('h1', { 'data-testid': 'parcel-title' }, title),
      h('div', { class: 'parcel-layout' },
        h('section', null, h('h2', null, t('parcel.facts')), facts([
          [t('col.commune'), parcel.commune?.name],
          [t('col.legacyCommune'), parcel.legacyCommune?.name],
          [t('col.area'), number(parcel.areaM2, 1)],
          [t('col.landUse'), `${parcel.landUseCode ?? ''} · ${pick(parcel, 'landUseName')}`],
          [t('col.zone'), parcel.planningZone],
          [t('parcel.certificate'), [parcel.certificateSerial, date(parcel.certificateIssuedOn)]
            .filter(Boolean).join(' · ')],
          [t('parcel.source'), `${parcel.provenance?.[0]?.sourceSystem ?? 'land'} · ${
            date(parcel.sourceUpdatedAt)}`],
        ])),
        map.element),
      h('section', { 'data-testid': 'parcel-rights' }, h('h2', null, t('parcel.rights')),
        guarded(answer, ['landParcel', 'rights'], () => rights(parcel.rights ?? []))),
      h('section', { 'data-testid': 'parcel-transfers' }, h('h2', null, t('parcel.transfers')),
        guarded(answer, ['landParcel', 'transfers'], () => transfers(parcel.transfers ?? []))));
    requestAnimationFrame(() => {
      map.setParcels(geometry ? [{ id: parcel.id, geometry,
        properties: { land_use_code: parcel.landUseCode } }] : []);
      map.setState('ready', geometry ? 1 : 0);
    });
  }
}

function holder(right) {
  if (right.organization) {
    return link(href({ view: 'enterprise', id: right.organization.id }),
      right.organization.name ?? right.holderName ?? '');
  }
  return right.holderName ?? h('span', { class: 'muted' }, t(`holder.${right.holderType ?? 'person'}`));
}

function rights(rows) {
  if (!rows.length) return empty(t('parcel.noRights'));
  return table([
    { label: t('col.holder'), cell: holder },
    { label: t('col.type'), cell: (r) => t(`holder.${r.holderType ?? 'person'}`) },
    { label: t('col.share'), numeric: true,
      cell: (r) => (r.ownershipShare == null ? '' : `${number(r.ownershipShare * 100, 1)} %`) },
    { label: t('parcel.certificate'), cell: (r) => r.certificateSerial },
    { label: t('col.from'), cell: (r) => date(r.validFrom) },
    { label: t('col.to'), cell: (r) => date(r.validTo) },
    { label: t('col.current'), cell: (r) => (r.isCurrent ? t('parcel.yes') : t('parcel.no')) },
  ], rows, { 'data-testid': 'rights-table' });
}

function transfers(rows) {
  if (!rows.length) return empty(t('parcel.noTransfers'));
  return table([
    { label: t('col.date'), cell: (r) => date(r.transferredOn) },
    { label: t('col.kind'), cell: (r) => pick(r, 'kindName') || r.kind },
    { label: t('col.fromHolder'), cell: (r) => r.fromHolderName },
    { label: t('col.toHolder'), cell: (r) => r.toHolderName },
  ], rows, { 'data-testid': 'transfers-table' });
}
