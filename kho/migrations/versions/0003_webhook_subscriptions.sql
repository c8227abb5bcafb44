-- Revision 0003: webhook subscriptions to the change feed (kho subscriptions; delivered by
-- kho webhooks deliver). Not granted to the API's role: they hold signing secrets.
create table changes.subscriptions (
    subscription_id uuid primary key default gen_random_uuid(),
    name text not null unique check (name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    client_id uuid not null references api.clients on delete cascade,
    endpoint text not null check (endpoint ~ '^https?://[^/\s]+'),
    entity_types text[] not null check (cardinality(entity_types) > 0),
    -- Declared for the personal data the client's grants let the messages carry.
    purpose text,
    -- The Standard Webhooks secret (whsec_ and base64): what the subscriber verifies with.
    secret text not null,
    status text not null default 'active' check (status in ('active', 'paused', 'parked')),
    -- The last cursor the subscriber acknowledged (a 2xx): delivery goes on after it.
    cursor bigint not null,
    -- Failed attempts in a row at the message after the cursor, and when to try it again.
    failures integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    -- A deliverer working on it until then (another deliverer leaves it alone).
    leased_until timestamptz,
    parked_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index subscriptions_due on changes.subscriptions (next_attempt_at)
    where status = 'active';

-- Every attempt to deliver a message, answered or not.
create table changes.delivery_attempts (
    attempt_id bigint generated always as identity primary key,
    subscription_id uuid not null references changes.subscriptions on delete cascade,
    message_id text not null,
    after_cursor bigint not null,
    last_cursor bigint not null,
    events integer not null,
    attempted_at timestamptz not null default now(),
    duration_ms double precision not null,
    status_code integer,
    error text,
    delivered boolean not null
);
create index delivery_attempts_subscription on changes.delivery_attempts (subscription_id,
                                                                         attempt_id);
