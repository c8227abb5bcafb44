// The data stewards' page: the data-quality issues in the records of an agency the signed-in
// key holds a grant on (where a record disagrees with master data), filtered by kind and
// status, acknowledged one by one with a note, and downloaded as CSV.

import { ApiError, gql, Latest, saveFile, session } from '../api.js';
import { empty, failure, h, link, replace, table } from '../dom.js';
import { date, dateTime, has, sourceName, t } from '../i18n.js';
import { viewer } from '../meta.js';
import { href, settle, update } from '../state.js';
import { loadPart } from './parts.js';

const PAGE_SIZE = 50;
const AGENCIES = ['land', 'enterprise', 'civil_registry', 'cadre'];
const KINDS = ['PERSON_CONFLICT', 'DECEASED_STILL_ACTIVE', 'MISTYPED_IDENTITY_NUMBER',
  'INVALID_SOURCE_VALUE'];
const STATUSES = ['OPEN', 'REOPENED', 'ACKNOWLEDGED', 'RESOLVED'];
const ACKNOWLEDGEABLE = new Set(['OPEN', 'REOPENED']);

const ISSUE = `issueId kind status sourceTable sourceRecordKey attribute rule sourceValue
  masterValue masterSourceSystem firstSeenAt lastSeenAt statusChangedAt acknowledgedBy`;

const LIST = `query StewardIssues($agency: SourceSystem!, $kind: DataQualityIssueKind,
  $status: DataQualityIssueStatus, $after: String) {
  dataQualityIssues(agency: $agency, kind: $kind, status: $status, first: ${PAGE_SIZE},
    after: $after) {
    issues { ${ISSUE} }
    endCursor hasNextPage
  }
}`;

const ACKNOWLEDGE = `mutation StewardAcknowledge($issueId: ID!, $note: String) {
  acknowledgeDataQualityIssue(issueId: $issueId, note: $note) { ${ISSUE} }
}`;

// The agencies whose issues a client's grants show (a shared or personal grant on its
// dataset), in the order of AGENCIES.
function agenciesOf(grants) {
  const held = new Set((grants ?? []).map((grant) => grant.split(':')[0]));
  return AGENCIES.filter((agency) => held.has(agency));
}

// What is at issue, in words: the attribute in conflict or the case; for a value kho could
// not use, the source's own column and the rule it breaks.
function attributeLabel(issue) {
  const named = has(`issueAttribute.${issue.attribute}`) ? t(`issueAttribute.${issue.attribute}`)
    : issue.attribute;
  if (!issue.rule) return named;
  return [h('code', null, named), ` · ${has(`issueRule.${issue.rule}`)
    ? t(`issueRule.${issue.rule}`) : issue.rule}`];
}

function choice(value, allowed) {
  return allowed.includes(value) ? value : null;
}

export class IssuesPage {
  constructor(container) {
    this.container = container;
    this.loads = { list: new Latest() };
    this.agencies = null;
    this.values = {};
    this.agency = h('select', { 'data-testid': 'issues-agency',
      onchange: () => update({ agency: this.agency.value, after: null }) });
    this.kind = h('select', { 'data-testid': 'issues-kind',
      onchange: () => update({ kind: this.kind.value || null, after: null }) },
    h('option', { value: '' }, t('issues.allKinds')),
    KINDS.map((kind) => h('option', { value: kind }, t(`issueKind.${kind}`))));
    this.status = h('select', { 'data-testid': 'issues-status',
      onchange: () => update({ status: this.status.value || null, after: null }) },
    h('option', { value: '' }, t('issues.allStatuses')),
    STATUSES.map((status) => h('option', { value: status }, t(`issueStatus.${status}`))));
    this.exportButton = h('button', { type: 'button', 'data-testid': 'issues-export',
      onclick: () => this.export() }, t('export.csv'));
    this.exportNote = h('p', { class: 'note error', 'data-testid': 'export-error', role: 'alert',
      hidden: true });
    this.list = h('div', { 'data-testid': 'issues-table', 'data-state': 'loading' });
    this.body = h('div');
    container.append(h('h1', null, t('nav.issues')),
      h('p', { class: 'muted' }, t('issues.intro')), this.body);
  }

  leave() {
    this.loads.list.stop();
  }

  async update(values) {
    this.values = values;
    document.title = `${t('nav.issues')} — kho`;
    if (!session.key) {
      replace(this.body, empty(t('issues.signIn')));
      return;
    }
    if (this.agencies === null) {
      try {
        this.agencies = agenciesOf((await viewer())?.grants);
      } catch (error) {
        replace(this.body, failure(error, () => this.update(values)));
        return;
      }
    }
    if (!this.agencies.length) {
      replace(this.body, empty(t('issues.noGrant')));
      return;
    }
    const agency = choice(values.agency, this.agencies) ?? this.agencies[0];
    if (agency !== values.agency) settle({ agency });
    replace(this.agency, this.agencies.map((a) => h('option', { value: a }, sourceName(a))));
    this.agency.value = agency;
    this.kind.value = choice(values.kind, KINDS) ?? '';
    this.status.value = choice(values.status, STATUSES) ?? '';
    this.exportNote.hidden = true;
    replace(this.body,
      h('section', { class: 'filters' },
        h('label', null, h('span', null, t('issues.agency')), this.agency),
        h('label', null, h('span', null, t('issues.kind')), this.kind),
        h('label', null, h('span', null, t('col.status')), this.status)),
      h('section', null, h('div', { class: 'list-head' }, h('span'),
        h('div', { class: 'exports' }, this.exportButton)), this.exportNote, this.list));
    this.load(agency, values);
  }

  selection(agency, values) {
    return { agency: agency.toUpperCase(), kind: choice(values.kind, KINDS),
      status: choice(values.status, STATUSES) };
  }

  load(agency, values) {
    this.list.dataset.state = 'loading';
    return loadPart(this.loads.list, this.list, {
      query: LIST,
      variables: { ...this.selection(agency, values), after: values.after || null },
      show: (answer) => {
        const page = answer.field('dataQualityIssues');
        this.render(page, answer, agency, values);
        this.list.dataset.state = 'ready';
      },
      retry: () => this.load(agency, values),
    });
  }

  render(page, answer, agency, values) {
    const withheld = answer.errors.some((e) => e.extensions?.code === 'FORBIDDEN');
    const rows = page.issues.map((issue) => ({ data: issue,
      attrs: { 'data-issue-id': issue.issueId, 'data-status': issue.status } }));
    const withheldCell = () => h('span', { class: 'muted', 'data-testid': 'value-withheld' },
      t('issues.withheld'));
    replace(this.list,
      withheld ? h('p', { class: 'state withheld', 'data-testid': 'withheld' },
        t('issues.valuesWithheld')) : null,
      rows.length ? table([
        { label: t('issues.kind'), cell: (i) => t(`issueKind.${i.kind}`) },
        { label: t('issues.record'), cell: (i) => h('code', null,
          `${i.sourceTable}:${i.sourceRecordKey}`) },
        { label: t('issues.attribute'), cell: (i) => attributeLabel(i) },
        { label: t('issues.sourceValue'), cell: (i) => (i.sourceValue ?? (withheld
          ? withheldCell() : '—')) },
        { label: t('issues.masterValue'), cell: (i) => (i.masterValue == null
          ? (withheld ? withheldCell() : '—')
          : `${i.masterValue} (${sourceName(i.masterSourceSystem)})`) },
        { label: t('issues.seen'), secondary: true,
          cell: (i) => `${date(i.firstSeenAt)} – ${date(i.lastSeenAt)}` },
        { label: t('col.status'), cell: (i) => this.statusCell(i) },
      ], rows, { 'data-testid': 'issues-rows' }) : empty(t('issues.none')),
      h('nav', { class: 'pager', 'aria-label': t('aria.pages') },
        values.after ? link(href({ ...values, agency, after: null }), t('page.first')) : null,
        page.hasNextPage ? h('a', { href: href({ ...values, agency, after: page.endCursor }),
          'data-nav': true, 'data-testid': 'next-page' }, t('page.next')) : null));
  }

  // The status, who acknowledged and when; an open issue's button to acknowledge it.
  statusCell(issue) {
    const cell = h('div', { class: 'issue-status', 'data-testid': 'issue-status' },
      h('strong', null, t(`issueStatus.${issue.status}`)),
      issue.acknowledgedBy ? h('div', { class: 'muted' }, t('issues.acknowledgedBy', {
        who: issue.acknowledgedBy, at: dateTime(issue.statusChangedAt) })) : null);
    if (ACKNOWLEDGEABLE.has(issue.status)) {
      cell.append(h('button', { type: 'button', 'data-testid': 'acknowledge',
        onclick: () => this.askNote(issue, cell) }, t('issues.acknowledge')));
    }
    return cell;
  }

  // A note and a confirmation in place of the button; the answer replaces the row's status.
  askNote(issue, cell) {
    const note = h('input', { type: 'text', maxlength: 2000, 'data-testid': 'acknowledge-note',
      placeholder: t('issues.notePlaceholder'), 'aria-label': t('issues.note') });
    const error = h('p', { class: 'note error', role: 'alert', 'data-testid': 'acknowledge-error',
      hidden: true });
    const send = async (event) => {
      event.preventDefault();
      form.querySelector('button[type=submit]').disabled = true;
      try {
        const answer = await gql(ACKNOWLEDGE, { issueId: issue.issueId,
          note: note.value.trim() || null });
        const done = answer.field('acknowledgeDataQualityIssue');
        const row = cell.closest('tr');
        row.dataset.status = done.status;
        cell.replaceWith(this.statusCell({ ...issue, ...done }));
      } catch (refused) {
        error.textContent = t('issues.acknowledgeFailed', { message: refused instanceof ApiError
          ? refused.message : String(refused) });
        error.hidden = false;
        form.querySelector('button[type=submit]').disabled = false;
      }
    };
    const form = h('form', { class: 'acknowledge', onsubmit: send }, note,
      h('button', { type: 'submit', 'data-testid': 'acknowledge-confirm' }, t('issues.confirm')),
      h('button', { type: 'button', onclick: () => cell.replaceWith(this.statusCell(issue)) },
        t('signin.cancel')), error);
    cell.querySelector('[data-testid=acknowledge]').replaceWith(form);
    note.focus();
  }

  // The agency's issues of the filter as the server writes the file (every page of them).
  async export() {
    const agency = this.agency.value;
    const query = new URLSearchParams();
    const { kind, status } = this.selection(agency, this.values);
    if (kind) query.set('kind', kind.toLowerCase());
    if (status) query.set('status', status.toLowerCase());
    const suffix = query.toString() ? `?${query}` : '';
    this.exportNote.hidden = true;
    try {
      await saveFile(`/quality/${agency}.csv${suffix}`, `kho-issues-${agency}.csv`);
    } catch (error) {
      this.exportNote.textContent = t('export.failed', { message: error.message });
      this.exportNote.hidden = false;
    }
  }
}
