-- The warehouse schema of the release before versioned migrations, as its commands
-- created it (create ... if not exists at start, no version table). Frozen: tests
-- adopt a warehouse made with it (kho migrate).

-- kho/warehouse.py (prepare_database)
create schema if not exists kho_secrets;
revoke all on schema kho_secrets from public;
create table if not exists kho_secrets.keys (name text primary key, value text not null);

-- pipelines/sources/bookkeeping.py (ensure_schemas)
create schema if not exists ingest;
create schema if not exists quarantine;

create table if not exists ingest.batches (
    batch_id bigint generated always as identity primary key,
    run_id text,
    source text not null,
    table_name text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null,
    error text
);
alter table ingest.batches
    add column if not exists mode text,
    add column if not exists attempt integer,
    add column if not exists watermark_from timestamp,
    add column if not exists watermark_to timestamp,
    add column if not exists keys_reconciled boolean,
    add column if not exists rows_extracted bigint,
    add column if not exists rows_inserted bigint,
    add column if not exists rows_updated bigint,
    add column if not exists rows_unchanged bigint,
    add column if not exists rows_quarantined bigint,
    add column if not exists rows_released bigint,
    add column if not exists rows_deleted bigint,
    add column if not exists duration_seconds double precision,
    drop column if exists max_watermark;
alter table ingest.batches drop constraint if exists batches_status_check;
alter table ingest.batches add constraint batches_status_check
    check (status in ('running', 'succeeded', 'failed', 'abandoned'));
create index if not exists batches_table_idx on ingest.batches (source, table_name, batch_id);

create table if not exists ingest.watermarks (
    source text not null,
    table_name text not null,
    watermark timestamp,
    batch_id bigint not null,
    updated_at timestamptz not null default now(),
    keys_reconciled_at timestamptz,
    primary key (source, table_name)
);

create table if not exists quarantine.rows (
    source text not null,
    table_name text not null,
    record_key text not null,
    rule text not null,
    column_name text,
    value text,
    payload jsonb not null,
    source_rows integer not null default 1,
    first_batch_id bigint not null,
    batch_id bigint not null,
    quarantined_at timestamptz not null,
    last_seen_at timestamptz not null,
    released_at timestamptz,
    released_batch_id bigint,
    release_reason text,
    primary key (source, table_name, record_key)
);
create or replace view quarantine.open_rows as
    select * from quarantine.rows where released_at is null;

-- Validation helpers: pure SQL, inlined by the planner, no exception blocks.
create or replace function ingest.valid_ymd(y integer, m integer, d integer)
returns boolean language sql immutable parallel safe as $$
    select y between 1 and 9999 and m between 1 and 12 and d >= 1 and d <= case
        when m in (4, 6, 9, 11) then 30
        when m = 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
        else 31 end
$$;
create or replace function ingest.iso_date(v text)
returns date language sql immutable parallel safe as $$
    select case when v ~ '^\d{4}-\d{2}-\d{2}'
        and ingest.valid_ymd(substr(v, 1, 4)::integer, substr(v, 6, 2)::integer,
                             substr(v, 9, 2)::integer)
        then make_date(substr(v, 1, 4)::integer, substr(v, 6, 2)::integer,
                       substr(v, 9, 2)::integer) end
$$;
create or replace function ingest.dmy_date(v text)
returns date language sql immutable parallel safe as $$
    select case
        when v ~ '^\d{4}$' and v::integer >= 1 then make_date(v::integer, 1, 1)
        when v ~ '^\d{1,2}/\d{1,2}/\d{4}$' and ingest.valid_ymd(split_part(v, '/', 3)::integer,
            split_part(v, '/', 2)::integer, split_part(v, '/', 1)::integer)
        then make_date(split_part(v, '/', 3)::integer, split_part(v, '/', 2)::integer,
                       split_part(v, '/', 1)::integer) end
$$;
create or replace function ingest.is_timestamp(v text)
returns boolean language sql immutable parallel safe as $$
    select v ~ '^\d{4}-\d{2}-\d{2}([ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?$'
        and ingest.iso_date(v) is not null
$$;
-- The province codes a 12-digit personal ID begins with (the place of birth registration,
-- Circular 59/2021/TT-BCA): 001 Hà Nội ... 080 Long An ... 096 Cà Mau.
create or replace function ingest.is_id_province_code(code text)
returns boolean language sql immutable parallel safe as $$
    select code = any(array[
        '001', '002', '004', '006', '008', '010', '011', '012', '014', '015', '017', '019',
        '020', '022', '024', '025', '026', '027', '030', '031', '033', '034', '035', '036',
        '037', '038', '040', '042', '044', '045', '046', '048', '049', '051', '052', '054',
        '056', '058', '060', '062', '064', '066', '067', '068', '070', '072', '074', '075',
        '077', '079', '080', '082', '083', '084', '086', '087', '089', '091', '092', '093',
        '094', '095', '096'
    ])
$$;
-- An identity number as agencies write it, read as the number it is: separators and
-- invisible characters between the digits ("080 123 456 789", "301-234-567", a no-break
-- space, full-width digits) are dropped, and a 12-digit personal ID that a spreadsheet
-- kept as a number gets back the leading zeros it lost: every personal ID begins with a
-- province code (all of them begin with 0) and then its century digit (0 to 3), so 10 or
-- 11 digits not beginning with 0 that read that way once the zeros are back can be nothing
-- else. A 9-digit CMND that lost its zero is not restored: 8 digits are as likely a CMND
-- with a digit lost. The 9-digit CMND, or the 12-digit ID beginning with a code from 001
-- to 096; else null.
create or replace function ingest.identity_number(v text)
returns text language sql immutable parallel safe as $$
    select case
        when length(d) = 9 then d
        when length(d) = 12 and left(d, 3) between '001' and '096' then d
        when length(d) in (10, 11) and left(d, 1) <> '0'
            and ingest.is_id_province_code(left(lpad(d, 12, '0'), 3))
            and substr(lpad(d, 12, '0'), 4, 1) between '0' and '3'
            then lpad(d, 12, '0')
    end
    from (
        select nullif(s, '') as d
        from regexp_replace(
            translate(v, '０１２３４５６７８９', '0123456789'),
            '[\s\u00a0\u2007\u202f\u200b-\u200d\u2060\ufeff.,_/-]', '', 'g'
        ) as s
        where s ~ '^[0-9]*$'
    ) as digits
$$;
-- An order-independent digest of a set of (key, watermark) pairs: equal sets, equal digests.
create or replace function ingest.version_hash(k text, w text)
returns bigint language sql immutable parallel safe as $$
    select ('x' || substr(md5(coalesce(k, '') || '|' || coalesce(w, '')), 1, 15))::bit(60)::bigint
$$;
comment on schema ingest is 'kho ingest schema 4';

-- pipelines/master_data/ids.py (ensure_tables)
create schema if not exists master_data;
create table if not exists "master_data"."person_ids" (
            id uuid primary key,
            anchor_key text not null,
            status text not null default 'active'
                check (status in ('active', 'merged', 'retired')),
            merged_into uuid references "master_data"."person_ids" (id),
            first_published_at timestamptz not null default now(),
            last_published_at timestamptz not null default now(),
            check ((status = 'merged') = (merged_into is not null)));
create table if not exists "master_data"."person_id_map" (
            source_system text not null,
            source_table text not null,
            source_record_key text not null,
            role text not null,
            id uuid not null references "master_data"."person_ids" (id),
            first_published_at timestamptz not null default now(),
            last_published_at timestamptz not null default now(),
            primary key (source_table, source_record_key, role));
create table if not exists "master_data"."person_id_events" (
            event_id bigserial primary key,
            happened_at timestamptz not null default now(),
            event text not null
                check (event in ('merged', 'split', 'moved', 'reinstated', 'retired')),
            id uuid not null,
            other_id uuid,
            records integer not null default 0);
create index if not exists "person_id_map_id_idx" on "master_data"."person_id_map" (id);
create table if not exists "master_data"."organization_ids" (
            id uuid primary key,
            anchor_key text not null,
            status text not null default 'active'
                check (status in ('active', 'merged', 'retired')),
            merged_into uuid references "master_data"."organization_ids" (id),
            first_published_at timestamptz not null default now(),
            last_published_at timestamptz not null default now(),
            check ((status = 'merged') = (merged_into is not null)));
create table if not exists "master_data"."organization_id_map" (
            source_system text not null,
            source_table text not null,
            source_record_key text not null,
            role text not null,
            id uuid not null references "master_data"."organization_ids" (id),
            first_published_at timestamptz not null default now(),
            last_published_at timestamptz not null default now(),
            primary key (source_table, source_record_key, role));
create table if not exists "master_data"."organization_id_events" (
            event_id bigserial primary key,
            happened_at timestamptz not null default now(),
            event text not null
                check (event in ('merged', 'split', 'moved', 'reinstated', 'retired')),
            id uuid not null,
            other_id uuid,
            records integer not null default 0);
create index if not exists "organization_id_map_id_idx" on "master_data"."organization_id_map" (id);

-- dbt_project/macros/master_data.sql (create_master_data_tables)
create schema if not exists master_data;
create table if not exists master_data.person_links (
    identity_key text primary key,
    anchor_key text not null,
    evidence text not null,
    first_published_at timestamptz not null default now(),
    last_published_at timestamptz not null default now()
);
create table if not exists master_data.person_link_reviews (
    identity_key text not null,
    anchor_key text not null,
    decision text not null check (decision in ('accept', 'reject')),
    reviewed_by text not null,
    reviewed_at timestamptz not null default now(),
    note text,
    primary key (identity_key, anchor_key)
);

-- pipelines/dbt/publish.py (LOG_DDL)
create schema if not exists kho_meta;
create table if not exists kho_meta.publications (
    publication_id bigserial primary key,
    invocation_id text not null,
    build_started_at timestamptz not null,
    build_finished_at timestamptz not null,
    published_at timestamptz not null default now(),
    marts jsonb not null
);

-- pipelines/reference/admin_units.py (DDL)
create schema if not exists reference;
create table if not exists reference.admin_units (
    generation text not null check (generation in ('legacy', 'current')),
    level text not null check (level in ('province', 'district', 'commune')),
    code text not null,
    name text not null,
    short_name text not null,
    unit_type text,
    parent_code text,
    province_code text not null,
    latitude double precision,
    longitude double precision,
    area_km2 double precision,
    primary key (generation, level, code)
);
create table if not exists reference.admin_unit_crosswalk (
    legacy_commune_code text not null,
    current_commune_code text not null,
    is_default boolean not null,
    effective_date date not null,
    primary key (legacy_commune_code, current_commune_code)
);

-- graphql_api/access/api_schema.sql, as clients.prepare filled it in
-- The API's own tables in the warehouse (schema api): agency clients, their keys and
-- grants, and the access log. Run by kho as the warehouse owner, never by the API's role;
-- idempotent. kho_api and kho_reader are filled in by graphql_api/access/clients.py.

create schema if not exists api;
revoke all on schema api from public;

create table if not exists api.installation (
    singleton boolean primary key default true check (singleton),
    -- Keys the HMAC that pseudonymises personal values in the access log.
    audit_hash_key bytea not null,
    created_at timestamptz not null default now()
);
insert into api.installation (audit_hash_key) values ('\xabababababababababababababababababababababababababababababababab'::bytea)
    on conflict do nothing;

create table if not exists api.clients (
    client_id uuid primary key default gen_random_uuid(),
    name text not null unique check (name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    agency text not null,
    -- Requests per minute; null: the server default (KHO_RATE_LIMIT_CLIENT).
    rate_limit_per_minute integer check (rate_limit_per_minute > 0),
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

create table if not exists api.client_grants (
    client_id uuid not null references api.clients on delete cascade,
    dataset text not null
        constraint client_grants_dataset_check
        check (dataset in ('land', 'enterprise', 'civil_registry', 'cadre', 'audit', 'steward')),
    data_class text not null check (data_class in ('open', 'shared', 'personal')),
    granted_at timestamptz not null default now(),
    primary key (client_id, dataset)
);
-- An api schema made before the steward grant existed learns it (once: the lock the
-- change takes would hold up every key check of a running API).
do $$
begin
    if not exists (
        select from pg_constraint
        where conname = 'client_grants_dataset_check'
            and pg_get_constraintdef(oid) like '%steward%'
    ) then
        alter table api.client_grants drop constraint if exists client_grants_dataset_check;
        alter table api.client_grants add constraint client_grants_dataset_check
            check (dataset in ('land', 'enterprise', 'civil_registry', 'cadre', 'audit',
                               'steward'));
    end if;
end
$$;

create table if not exists api.api_keys (
    -- The public half of the key (kho_<key_id>_<secret>), shown in logs and listings.
    key_id text primary key,
    client_id uuid not null references api.clients on delete cascade,
    -- sha256 of the secret half: keys are 256 random bits, so a fast hash is enough.
    secret_sha256 bytea not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    revoked_at timestamptz
);
create index if not exists api_keys_client on api.api_keys (client_id);

-- Append-only, hash-chained. Each entry's hash covers its own fields and the previous
-- entry's hash; the head row holds the last entry's, so deleting the tail shows too.
create table if not exists api.access_log (
    entry_id bigint primary key,
    logged_at timestamptz not null,
    client_id uuid,
    client_name text,
    key_id text,
    remote_addr text,
    operation_type text,
    operation_name text,
    -- HMAC-SHA256 of the GraphQL document under the installation's key.
    query_hash text,
    variables jsonb,
    purpose text,
    outcome text not null,
    error_codes text[] not null default '{}',
    duration_ms double precision,
    person_ids uuid[] not null default '{}',
    previous_hash text not null,
    entry_hash text not null
);
-- Named query_sha256 before it was keyed.
do $$
begin
    if exists (select from information_schema.columns where table_schema = 'api'
               and table_name = 'access_log' and column_name = 'query_sha256') then
        alter table api.access_log rename column query_sha256 to query_hash;
    end if;
end
$$;
create index if not exists access_log_person_ids on api.access_log using gin (person_ids);
create index if not exists access_log_client on api.access_log (client_id, logged_at);

create table if not exists api.access_log_head (
    singleton boolean primary key default true check (singleton),
    entry_id bigint not null,
    entry_hash text not null
);
insert into api.access_log_head values (true, 0, repeat('0', 64)) on conflict do nothing;

-- The text an entry's hash is taken over; kho audit verify rebuilds it independently.
create or replace function api.access_log_digest(entry api.access_log) returns text
language sql immutable as $$
    select encode(sha256(convert_to(concat_ws(chr(31),
        entry.entry_id::text,
        to_char(entry.logged_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(entry.client_id::text, ''),
        coalesce(entry.client_name, ''),
        coalesce(entry.key_id, ''),
        coalesce(entry.remote_addr, ''),
        coalesce(entry.operation_type, ''),
        coalesce(entry.operation_name, ''),
        coalesce(entry.query_hash, ''),
        coalesce(entry.variables::text, ''),
        coalesce(entry.purpose, ''),
        entry.outcome,
        array_to_string(entry.error_codes, ','),
        coalesce(entry.duration_ms::text, ''),
        array_to_string(entry.person_ids, ','),
        entry.previous_hash), 'UTF8')), 'hex')
$$;

-- Numbers, times and chains every new entry under a lock on the head row, so concurrent
-- writers (every API worker and replica) make one unbroken chain. Owned by the warehouse
-- owner: the API's role inserts entries but cannot touch the head.
create or replace function api.access_log_chain() returns trigger
language plpgsql security definer set search_path = pg_catalog as $$
declare
    head api.access_log_head;
begin
    select * into head from api.access_log_head for update;
    new.entry_id := head.entry_id + 1;
    new.logged_at := coalesce(new.logged_at, clock_timestamp());
    new.previous_hash := head.entry_hash;
    new.entry_hash := api.access_log_digest(new);
    update api.access_log_head set entry_id = new.entry_id, entry_hash = new.entry_hash;
    return new;
end
$$;

create or replace function api.access_log_refuse() returns trigger
language plpgsql as $$
begin
    raise exception 'api.access_log is append-only (% refused)', tg_op
        using errcode = 'insufficient_privilege';
end
$$;

drop trigger if exists chain on api.access_log;
create trigger chain before insert on api.access_log
    for each row execute function api.access_log_chain();
drop trigger if exists append_only on api.access_log;
create trigger append_only before update or delete on api.access_log
    for each row execute function api.access_log_refuse();
drop trigger if exists append_only_truncate on api.access_log;
create trigger append_only_truncate before truncate on api.access_log
    for each statement execute function api.access_log_refuse();

-- The API's role: reads the published marts (as a member of the reader role), reads
-- clients, keys and grants, appends to the log and reads it (accessLog); nothing else.
grant kho_reader to kho_api;
grant usage on schema api to kho_api;
grant select on api.installation, api.clients, api.client_grants, api.api_keys to kho_api;
grant select, insert on api.access_log to kho_api;
revoke update, delete, truncate on api.access_log from kho_api;
