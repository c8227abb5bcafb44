-- Revision 0004: the data-quality issues owning agencies are told about
-- (pipelines/dbt/quality_issues.py keeps them at each publication; kho issues lists and
-- acknowledges them). Their status is state no source holds: migrated and backed up.
create table changes.quality_issues (
    -- Stable across publications: the kind, the source record and what is at issue.
    issue_id text primary key,
    kind text not null check (kind in ('person_conflict', 'deceased_still_active')),
    -- The owning agency's system, where the record must be fixed.
    source_system text not null,
    source_table text not null,
    source_record_key text not null,
    person_id uuid,
    -- The attribute in conflict (birth_date, full_name, sex) or the case (still_employed,
    -- still_legal_representative, still_owner, still_sole_land_user).
    attribute text not null,
    source_value text,
    master_value text,
    master_source_system text,
    status text not null default 'open'
        check (status in ('open', 'acknowledged', 'resolved', 'reopened')),
    status_changed_at timestamptz not null default now(),
    acknowledged_by text,
    note text,
    first_seen_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    first_publication_id bigint not null references kho_meta.publications,
    last_publication_id bigint not null references kho_meta.publications
);
create index quality_issues_agency on changes.quality_issues (source_system, status, issue_id);
