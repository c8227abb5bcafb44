-- The API's own tables in the warehouse (schema api): agency clients, their keys and
-- grants, and the access log. Run by kho as the warehouse owner, never by the API's role;
-- idempotent. {api_role} and {reader_role} are filled in by graphql_api/access/clients.py.

create schema if not exists api;
revoke all on schema api from public;

create table if not exists api.installation (
    singleton boolean primary key default true check (singleton),
    -- Keys the HMAC that pseudonymises personal values in the access log.
    audit_hash_key bytea not null,
    created_at timestamptz not null default now()
);
insert into api.installation (audit_hash_key) values ({audit_hash_key})
    on conflict do nothing;

create table if not exists api.clients (
    client_id uuid primary key default gen_random_uuid(),
    name text not null unique check (name ~ '^[a-z0-9][a-z0-9._-]{{1,62}}$'),
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
    error_codes text[] not null default '{{}}',
    duration_ms double precision,
    person_ids uuid[] not null default '{{}}',
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
grant {reader_role} to {api_role};
grant usage on schema api to {api_role};
grant select on api.installation, api.clients, api.client_grants, api.api_keys to {api_role};
grant select, insert on api.access_log to {api_role};
revoke update, delete, truncate on api.access_log from {api_role};
