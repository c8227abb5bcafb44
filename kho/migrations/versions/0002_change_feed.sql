-- Revision 0002: the change feed (pipelines/dbt/changes.py writes it when a build is
-- published, in the publication's transaction; the API pages through it as `changes`,
-- and webhook subscriptions deliver it).
create schema changes;
revoke all on schema changes from public;

-- One row per publication: where its events start and end in the feed, or that it is a
-- snapshot (the first publication, or one the feed cannot be computed for: subscribers
-- start again from the bulk downloads, taken at or after its cursor), and why.
create table changes.publications (
    publication_id bigint primary key references kho_meta.publications,
    snapshot boolean not null,
    note text,
    first_cursor bigint,
    last_cursor bigint,
    events bigint not null,
    seconds double precision not null
);

create table changes.events (
    -- The feed's order: assigned under a lock held until the publication commits, so a
    -- reader that has seen cursor N will never see a smaller one appear.
    cursor bigint generated always as identity primary key,
    publication_id bigint not null references kho_meta.publications,
    entity_type text not null check (entity_type in (
        'person', 'organization', 'land_parcel', 'admin_unit', 'land_right',
        'enterprise_role', 'employment')),
    master_id text not null,
    kind text not null
        check (kind in ('created', 'updated', 'merged_into', 'split', 'retired')),
    -- Published attributes (named as the API's fields) that changed, for updated events.
    changed_attributes text[] not null default '{}',
    -- New values (created: every attribute; updated: the changed ones) and, for updated
    -- events, the values they replaced.
    payload jsonb not null default '{}',
    previous jsonb not null default '{}',
    -- merged_into: the master it now belongs to; split: the new master that took records.
    related_id text,
    -- Whose personal data the event holds (for the access log), and for persons the
    -- datasets that mention them (their personal fields follow a grant on one of them).
    person_id uuid,
    datasets text[]
);
create index events_type_cursor on changes.events (entity_type, cursor);
create index events_publication on changes.events (publication_id);
