// Picking the area a page is about: a province, then a commune or ward by its current name
// or its name before the 1 July 2025 reorganisation, typed with or without diacritics.

import { ApiError, gql } from './api.js';
import { debounce, h, link, replace } from './dom.js';
import { t } from './i18n.js';
import { href, params, settle, unitParam, unitRef } from './state.js';

const UNIT = `query Unit($code: String!, $generation: AdminUnitGeneration!) {
  adminUnit(code: $code, generation: $generation) {
    code name level generation provinceCode outlineWkt outlineSource
    parent { code name }
    successors { isDefault current { code name provinceCode } }
    predecessors { legacy { code name } }
  }
}`;

const PROVINCES = `query Provinces {
  adminUnits(filter: {generation: CURRENT, level: PROVINCE}, first: 100) {
    nodes { code name predecessors { legacy { code } } }
  }
}`;

const HOME = `query Home { landParcels(first: 1) { nodes { commune { provinceCode } } } }`;

const units = new Map();
let provinces = null;

export async function describeUnit(ref) {
  const key = unitParam(ref);
  if (!units.has(key)) {
    units.set(key, gql(UNIT, ref).then((answer) => {
      const unit = answer.field('adminUnit');
      if (!unit) throw new ApiError(t('area.unknown', { code: ref.code }), 'NOT_FOUND');
      return unit;
    }).catch((error) => {
      units.delete(key);
      throw error;
    }));
  }
  return units.get(key);
}

// The province a unit is in, on the current map.
function currentProvince(unit) {
  if (unit.generation === 'CURRENT') return unit.provinceCode;
  return unit.successors[0]?.current.provinceCode ?? unit.provinceCode;
}

function provinceList() {
  if (!provinces) {
    provinces = gql(PROVINCES).then((answer) => answer.field('adminUnits').nodes).catch((error) => {
      provinces = null;
      throw error;
    });
  }
  return provinces;
}

// The area a page opens on when the link names none: the province the land register's
// parcels are in.
async function homeUnit() {
  const kept = sessionStorage.getItem('kho.home');
  if (kept) return kept;
  const answer = await gql(HOME);
  const code = answer.field('landParcels').nodes[0]?.commune?.provinceCode
    ?? (await provinceList())[0]?.code;
  const unit = `current:${code}`;
  sessionStorage.setItem('kho.home', unit);
  return unit;
}

export class AreaPicker {
  constructor(onPick) {
    this.onPick = onPick;
    this.province = h('select', { 'data-testid': 'province-select', 'aria-label': t('area.province'),
      onchange: () => this.onPick(`current:${this.province.value}`) });
    this.search = h('input', { type: 'search', 'data-testid': 'commune-search',
      placeholder: t('area.search'), 'aria-label': t('area.search'), autocomplete: 'off',
      oninput: debounce(() => this.find(), 250),
      onkeydown: (event) => {
        if (event.key === 'Escape') this.showResults(false);
      } });
    this.search.disabled = true; // until the province, and its former provinces, are known
    this.legacyProvinces = [];
    this.results = h('ul', { class: 'results', 'data-testid': 'commune-results', hidden: true,
      role: 'listbox', 'aria-label': t('area.search') });
    this.selection = h('p', { class: 'selection', 'data-testid': 'area-selection' });
    this.element = h('section', { class: 'area-picker' },
      h('label', null, h('span', null, t('area.province')), this.province),
      h('div', { class: 'commune-search' }, this.search, this.results),
      this.selection);
  }

  // The page's area, described under a Latest: its name in the heading (t(key)) and the
  // tab's title, and in the picker. An error goes to fail, unless a newer area took over.
  async present(latest, ref, heading, key, fail) {
    const run = latest.start();
    try {
      const unit = await describeUnit(ref);
      if (!run.current()) return;
      heading.textContent = t(key, { area: unit.name });
      document.title = `${heading.textContent} — kho`;
      await this.show(unit);
    } catch (error) {
      if (run.current()) fail(error);
    }
  }

  async show(unit) {
    this.unit = unit;
    const provinceCode = currentProvince(unit);
    // The area's description first: it is known already, and the map below it must not move
    // once drawn (a tap meant for one parcel would land on another).
    this.describe(unit, provinceCode);
    const list = await provinceList();
    replace(this.province, list.map((p) => h('option', { value: p.code, selected: p.code === provinceCode }, p.name)));
    this.legacyProvinces = list.find((p) => p.code === provinceCode)?.predecessors
      .map((s) => s.legacy.code) ?? [];
    this.search.disabled = false;
  }

  describe(unit, provinceCode) {
    const here = params();
    const at = (u) => href({ ...here, unit: u, after: null, from: null, id: null });
    const parts = [h('strong', { 'data-testid': 'area-name' }, unit.name)];
    if (unit.level !== 'PROVINCE') parts.push(` · ${unit.parent?.name ?? ''}`);
    if (unit.generation === 'LEGACY') {
      parts.push(h('span', { class: 'tag legacy' }, t('area.legacy')));
      for (const s of unit.successors) {
        parts.push(' ', link(at(`current:${s.current.code}`),
          t('area.nowIn', { name: s.current.name })));
      }
    } else if (unit.level === 'COMMUNE' && unit.predecessors.length) {
      parts.push(h('span', { class: 'muted' }, ` · ${t('area.formerly', {
        names: unit.predecessors.map((p) => p.legacy.name).join(', ') })}`));
    }
    if (unit.level !== 'PROVINCE') {
      parts.push(' · ', link(at(`current:${provinceCode}`), t('area.whole')));
    }
    replace(this.selection, parts);
  }

  async find() {
    const name = this.search.value.trim();
    if (name.length < 2) {
      this.showResults(false);
      return;
    }
    const variables = { name, current: { code: this.province.value, generation: 'CURRENT' } };
    const declarations = ['$name: String!', '$current: AdminUnitRef!'];
    const fields = [`current: adminUnits(filter: {level: COMMUNE, name: $name, within: $current},
      first: 15) { nodes { code name generation parent { name } } }`];
    this.legacyProvinces.forEach((code, i) => {
      variables[`l${i}`] = { code, generation: 'LEGACY' };
      declarations.push(`$l${i}: AdminUnitRef!`);
      fields.push(`l${i}: adminUnits(filter: {level: COMMUNE, name: $name, within: $l${i}},
        first: 15) { nodes { code name generation parent { name }
        successors { current { name } } } }`);
    });
    const query = `query FindCommunes(${declarations.join(', ')}) { ${fields.join('\n')} }`;
    let found;
    try {
      const answer = await gql(query, variables);
      found = Object.keys(answer.data).flatMap((alias) => answer.field(alias).nodes);
    } catch (error) {
      if (name !== this.search.value.trim()) return;
      replace(this.results, h('li', { class: 'error', role: 'alert' }, error.message));
      this.showResults(true);
      return;
    }
    if (name !== this.search.value.trim()) return;
    replace(this.results, found.length ? found.map((unit) => this.result(unit))
      : h('li', { class: 'muted' }, t('area.noMatch', { q: name })));
    this.showResults(true);
  }

  showResults(shown) {
    this.results.hidden = !shown;
    this.search.setAttribute('aria-expanded', shown ? 'true' : 'false');
  }

  result(unit) {
    const param = `${unit.generation.toLowerCase()}:${unit.code}`;
    const legacy = unit.generation === 'LEGACY';
    return h('li', { role: 'option' }, h('button', { type: 'button', 'data-unit': param,
      onclick: () => {
        this.showResults(false);
        this.search.value = '';
        this.onPick(param);
      } },
    h('span', null, unit.name),
    h('span', { class: 'muted' }, ` · ${unit.parent?.name ?? ''}`),
    legacy ? h('span', { class: 'tag legacy' }, t('area.legacy')) : null,
    legacy && unit.successors?.length ? h('span', { class: 'muted' },
      ` → ${unit.successors.map((s) => s.current.name).join(', ')}`) : null));
  }
}

// The area of a page's link: its unit, or the home province when the link names none (then
// written into the link). A unit that is not one is an error, not the home province.
export async function linkedUnit(values) {
  if (values.unit) {
    const ref = unitRef(values.unit);
    if (!ref) throw new ApiError(t('area.badUnit', { unit: values.unit }), 'BAD_USER_INPUT');
    return ref;
  }
  const home = await homeUnit();
  if (!params().unit && params().view === values.view) settle({ unit: home });
  return unitRef(home);
}
