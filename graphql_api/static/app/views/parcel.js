// One parcel: its register facts, a map of it, and its history of rights and transfers as
// far as the viewer may see them (holders are shared data, names of persons personal).

import { download, Latest } from '../api.js';
import { empty, facts, guarded, h, link, notFound, replace, table } from '../dom.js';
import { date, number, pick, sourceName, t, zoneName } from '../i18n.js';
import { ParcelMap, sheetOutlines, wktPolygon } from '../map.js';
import { go, href } from '../state.js';
import { LAND_SELECTION } from './land.js';
import { asOfDate, asOfPicker, backToRecord, loadPart } from './parts.js';

const PARCEL = `query Parcel($id: ID!, $asOf: Date) {
  landParcel(id: $id, asOf: $asOf) {
    id mapSheetNumber parcelNumber areaM2 landUseCode landUseNameVi landUseNameEn landUseGroup
    planningZone planningZoneNameEn boundaryWkt certificateSerial certificateIssuedOn sourceUpdatedAt
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
    this.neighbours = new Latest();
  }

  leave() {
    this.load.stop();
    this.neighbours.stop();
  }

  // The other parcels of its map sheet, in grey around it (open data, like the parcel's
  // own facts); a map without them still shows the parcel.
  async showNeighbours(map, parcel) {
    if (parcel.mapSheetNumber == null) return;
    const query = new URLSearchParams({ admin_unit: parcel.legacyCommuneCode, generation: 'legacy',
      map_sheet_number: String(parcel.mapSheetNumber) });
    const run = this.neighbours.start();
    try {
      const collection = await download(`/opendata/land_parcels.geojson?${query}`,
        { signal: run.signal });
      if (!run.current()) return;
      map.setContext(collection.features);
      map.setSheets(sheetOutlines(collection.features));
      map.highlight([parcel.id]);
      map.frameContext();
      map.element.dataset.neighbours = String(map.context.length);
    } catch {
      map.element.dataset.neighbours = 'failed';
    }
  }

  update(values) {
    return loadPart(this.load, this.container, {
      query: PARCEL,
      variables: { id: values.id ?? '', asOf: asOfDate(values) },
      show: (answer) => {
        const parcel = answer.field('landParcel');
        if (parcel) this.render(parcel, answer, values);
        else if (asOfDate(values)) replace(this.container, asOfPicker(values), notFound(t('asOf.none')));
        else replace(this.container, notFound());
      },
      retry: () => this.update(values),
    });
  }

  render(parcel, answer, values) {
    const title = t('parcel.title', { parcel: parcel.parcelNumber ?? '?',
      sheet: parcel.mapSheetNumber ?? '?' });
    document.title = `${title} — kho`;
    const map = new ParcelMap({ compact: true, testid: 'parcel-shape',
      describe: (f) => `${t('col.sheet')} ${f.properties.map_sheet_number ?? '?'} · ${t('col.parcel')} ${
        f.properties.parcel_number ?? '?'} · ${pick({ nameVi: f.properties.land_use_name_vi,
        nameEn: f.properties.land_use_name_en }, 'name') || f.properties.land_use_code || ''}`,
      onSelect: (f) => {
        if (f.id !== parcel.id) go({ ...values, id: f.id });
      } });
    const geometry = wktPolygon(parcel.boundaryWkt);
    const commune = parcel.commune ?? parcel.legacyCommune;
    replace(this.container,
      backToRecord(values) ?? h('p', { class: 'back' }, link(href(backTo(parcel, values)),
        values.unit ? t('parcel.backToList') : t('parcel.back', { area: commune?.name ?? '' }))),
      h('h1', { 'data-testid': 'parcel-title' }, title),
      asOfPicker(values),
      h('div', { class: 'parcel-layout' },
        h('section', null, h('h2', null, t('parcel.facts')), facts([
          [t('col.commune'), parcel.commune?.name],
          [t('col.legacyCommune'), parcel.legacyCommune?.name],
          [t('col.area'), number(parcel.areaM2, 1)],
          [t('col.landUse'), [pick(parcel, 'landUseName') || parcel.landUseCode,
            parcel.landUseCode].filter(Boolean).join(' · ')],
          [t('col.zone'), zoneName(parcel.planningZone, parcel.planningZoneNameEn)],
          [t('parcel.certificate'), [parcel.certificateSerial, date(parcel.certificateIssuedOn)]
            .filter(Boolean).join(' · ')],
          [t('parcel.source'), `${sourceName(parcel.provenance?.[0]?.sourceSystem ?? 'land')} · ${
            date(parcel.sourceUpdatedAt)}`],
        ])),
        map.element),
      h('section', { 'data-testid': 'parcel-rights' }, h('h2', null, t('parcel.rights')),
        guarded(answer, ['landParcel', 'rights'], () => rights(parcel.rights ?? [], parcel.id))),
      h('section', { 'data-testid': 'parcel-transfers' }, h('h2', null, t('parcel.transfers')),
        guarded(answer, ['landParcel', 'transfers'], () => transfers(parcel.transfers ?? []))));
    requestAnimationFrame(() => {
      map.setParcels(geometry ? [{ id: parcel.id, geometry, properties: {
        land_use_code: parcel.landUseCode, parcel_number: parcel.parcelNumber,
        map_sheet_number: parcel.mapSheetNumber, land_use_name_vi: parcel.landUseNameVi,
        land_use_name_en: parcel.landUseNameEn } }] : [], { fitTo: parcel.id });
      map.setState('ready', geometry ? 1 : 0);
      // The neighbours are today's: a parcel as of a past date is drawn alone.
      if (geometry && !asOfDate(values)) this.showNeighbours(map, parcel);
    });
  }
}

// Back to the land page the parcel was opened from (its area, filters, order and page, kept
// in the parcel's link), or to the parcel's commune.
function backTo(parcel, values) {
  const kept = Object.fromEntries(LAND_SELECTION.map((name) => [name, values[name]]));
  if (!kept.unit) {
    kept.unit = parcel.commune ? `current:${parcel.commune.code}` : `legacy:${parcel.legacyCommuneCode}`;
  }
  return { ...kept, view: 'land' };
}

// An enterprise holding the right opens with a way back to this parcel.
function holder(right, parcelId) {
  if (right.organization) {
    return link(href({ view: 'enterprise', id: right.organization.id, back: `parcel:${parcelId}` }),
      right.organization.name ?? right.holderName ?? '');
  }
  return right.holderName ?? h('span', { class: 'muted' }, t(`holder.${right.holderType ?? 'person'}`));
}

function rights(rows, parcelId) {
  if (!rows.length) return empty(t('parcel.noRights'));
  return table([
    { label: t('col.holder'), cell: (r) => holder(r, parcelId) },
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
