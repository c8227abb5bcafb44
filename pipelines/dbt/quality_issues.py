"""Data-quality issues for the owning agencies, kept across publications with their status.

The conflict marts say what is wrong in the build (``dq_person_conflicts``: a record that
disagrees with its master person; ``dq_deceased_still_active``: a person the civil registry
records as deceased whom another register still holds; ``dq_mistyped_identity_numbers``: a
record whose personal ID is its person's mistyped by one keystroke; ``dq_source_values``: a
value of a record that ingestion set aside, breaking its column's rule, so the record
landed without it: an unreadable ID, a date that cannot be, an unknown code).
:func:`record_quality_issues` runs in the publication's transaction, after the swap, and
brings ``changes.quality_issues`` (made by the migrations) up to the incoming marts, in
set-based SQL:

- an issue not seen before is ``open``;
- one seen again keeps its status (``acknowledged`` stays acknowledged) and takes the
  values of this build; a ``resolved`` one found again is ``reopened``;
- one no longer in the marts (the source was corrected) is ``resolved``.

An issue's ID is stable: a digest of its kind, the source record and what is at issue.
``kho issues acknowledge`` (or the API's ``acknowledgeDataQualityIssue``) records that the
agency has seen it. Every new issue and every change to one (its status, the values in
conflict) is an event of the change feed (entity type ``data_quality_issue``), written by
a trigger on the table (migration 0007) with this publication's ID.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

INCOMING = """
create temp table _issues on commit drop as
select md5(concat_ws('|', 'person_conflict', source_table, source_record_key, role,
                     attribute)) as issue_id,
       'person_conflict' as kind, source_system, source_table, source_record_key, person_id,
       attribute, stated_value as source_value, master_value, master_source_system,
       null as rule
from marts.dq_person_conflicts
union all
select md5(concat_ws('|', 'deceased_still_active', source_table, source_record_key,
                     case_kind)),
       'deceased_still_active', source_system, source_table, source_record_key, person_id,
       case_kind, 'active since ' || coalesce(active_since::text, 'an unknown date'),
       'deceased on ' || coalesce(death_date::text, 'an unknown date'), 'civil_registry', null
from marts.dq_deceased_still_active
union all
select md5(concat_ws('|', 'mistyped_identity_number', source_table, source_record_key, role)),
       'mistyped_identity_number', source_system, source_table, source_record_key, person_id,
       'personal_id_number', recorded_personal_id_number, personal_id_number, 'kho', null
from marts.dq_mistyped_identity_numbers
union all
select md5(concat_ws('|', 'invalid_source_value', source_table, source_record_key,
                     column_name, rule)),
       'invalid_source_value', source_system, source_table, source_record_key, null,
       column_name, raw_value, null, null, rule
from marts.dq_source_values
where outcome = 'set_aside'
"""

SEEN = """
insert into changes.quality_issues as q (issue_id, kind, source_system, source_table,
    source_record_key, person_id, attribute, source_value, master_value,
    master_source_system, rule, first_publication_id, last_publication_id)
select distinct on (issue_id) issue_id, kind, source_system, source_table, source_record_key,
       person_id, attribute, source_value, master_value, master_source_system, rule,
       %(publication)s, %(publication)s
from _issues
order by issue_id
on conflict (issue_id) do update set
    person_id = excluded.person_id, source_value = excluded.source_value,
    master_value = excluded.master_value, master_source_system = excluded.master_source_system,
    rule = excluded.rule,
    last_seen_at = now(), last_publication_id = excluded.last_publication_id,
    status = case when q.status = 'resolved' then 'reopened' else q.status end,
    status_changed_at = case when q.status = 'resolved' then now() else q.status_changed_at end
returning (xmax = 0) as new, (status = 'reopened' and status_changed_at = now()) as reopened
"""

GONE = """
update changes.quality_issues
set status = 'resolved', status_changed_at = now()
where status <> 'resolved' and issue_id not in (select issue_id from _issues)
"""


@dataclass(frozen=True)
class IssueFigures:
    opened: int
    reopened: int
    resolved: int
    open_now: int


def record_quality_issues(conn: psycopg.Connection, publication_id: int) -> IssueFigures:
    """Bring the issues up to the marts just published, in the caller's transaction."""
    # The feed's events the trigger writes belong to this publication.
    conn.execute("select set_config('kho.publication_id', %s, true)", (str(publication_id),))
    conn.execute(INCOMING)
    seen = conn.execute(SEEN, {"publication": publication_id}).fetchall()
    resolved = conn.execute(GONE).rowcount
    open_now = conn.execute("select count(*) from changes.quality_issues "
                            "where status <> 'resolved'").fetchone()[0]
    conn.execute("drop table _issues")
    return IssueFigures(opened=sum(1 for new, _ in seen if new),
                        reopened=sum(1 for new, reopened in seen if not new and reopened),
                        resolved=resolved, open_now=open_now)
