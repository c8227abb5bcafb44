{#- Entity-resolution models that are built incrementally from int_persons__mentions.

    A mention carries the batch that loaded its record as it is now (_batch_id), and such a
    model keeps, beside each row, the source table and batch of the mention it was computed
    from. So it knows, per source table, the last batch it holds rows of: the mentions of
    later batches are new or changed since (or gave it no rows), and the mentions it holds
    rows of that are gone were deleted in their sources (or their record names nobody in
    that role any more). It takes them up whatever happened between (a build that
    failed after int_persons__mentions was built, two loads between builds).

    What a changed mention reaches depends on the model: its own rows (int_persons__places,
    keyed by person_mention_id), or the rows of every mention resolved with it
    (int_persons__identities: all the mentions of an identity number are judged together,
    keyed by the mention's identity_key). The pre-hook take_up_changed_mentions collects
    those keys, before and after the change, in a temporary table (changed_mention_keys()),
    and deletes the model's rows of them; the model then selects the rows of those keys
    alone, appended. A full build (a first one, --full-refresh, a new basis:
    pipelines/dbt/incremental.py) computes every row. -#}

{#- The temporary table of the keys a build computes again (one column, changed_key). -#}
{% macro changed_mention_keys() -%}
    pg_temp._kho_changed_mention_keys
{%- endmacro %}

{#- In a pre-hook, the CTE of the last batch of each source table the model holds rows of. -#}
{% macro last_batches_taken() -%}
    taken as (
        select
            source_table,
            max(_batch_id) as last_batch_id
        from {{ this }}
        group by source_table
    )
{%- endmacro %}

{#- In a pre-hook, after the keys taken up are in the temporary table ``changed_table``
    (alias changed): the model's rows of them (alias earlier) deleted, where ``condition``
    holds. -#}
{% macro drop_rows_taken_up(changed_table, condition) -%}
    delete from {{ this }} as earlier
    using {{ changed_table }} as changed
    where {{ condition }};
    analyze {{ changed_table }}
{%- endmacro %}

{#- Pre-hook. mentions: the relation of int_persons__mentions; model_key: the model's column
    a change reaches; mention_key: the mentions' column it is computed from; relevant: a
    condition on the mentions (alias mentions) that a mention the model has no rows of must
    meet to be taken up (those that do not give it no rows: the places of a record that
    names none), so that the mentions of a source table none of whose mentions gives rows
    are not all taken up again by every build. Each part of the key set is a join or
    anti-join of its own, which PostgreSQL hashes at any size. -#}
{% macro take_up_changed_mentions(mentions, model_key, mention_key, relevant='true') -%}
    drop table if exists {{ changed_mention_keys() }};
    {%- if is_incremental() %}
        create temporary table _kho_changed_mention_keys as
        with

        {{ last_batches_taken() }},

        changed as materialized (
            select
                mentions.person_mention_id,
                mentions.{{ mention_key }} as changed_key
            from {{ mentions }} as mentions
            left join taken on mentions.source_table = taken.source_table
            where
                mentions._batch_id > coalesce(taken.last_batch_id, 0)
                and (
                    {{ relevant }}
                    or exists (
                        select from {{ this }} as earlier
                        where earlier.person_mention_id = mentions.person_mention_id
                    )
                )
        )

        select changed.changed_key from changed
        union
        select earlier.{{ model_key }} as changed_key
        from {{ this }} as earlier
        inner join changed on earlier.person_mention_id = changed.person_mention_id
        union
        select earlier.{{ model_key }} as changed_key
        from {{ this }} as earlier
        where not exists (
            select from {{ mentions }} as mentions
            where mentions.person_mention_id = earlier.person_mention_id
        );
        {{ drop_rows_taken_up(
            changed_mention_keys(), 'earlier.' ~ model_key ~ ' = changed.changed_key'
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- Whether a mention (alias mentions) names a place: int_persons__places reads those. -#}
{% macro mention_names_a_place() -%}
    (
        mentions.residence_address is not null
        or mentions.residence_commune_code is not null
        or mentions.birth_legacy_commune_code is not null
    )
{%- endmacro %}

{#- int_persons__mentions itself is built so from the staging models, record by record: the
    source tables that name persons, each with its staging model and the expression of its
    records' key (source_record_key). -#}
{% macro person_mention_records() -%}
    {{- return([
        ('khai_sinh', 'stg_civil_registry__births', 'birth_registration_number'),
        ('khai_tu', 'stg_civil_registry__deaths', 'death_registration_number'),
        ('ket_hon', 'stg_civil_registry__marriages', 'marriage_registration_number'),
        ('ho_so_can_bo', 'stg_cadre__civil_servants', 'civil_servant_code'),
        ('enterprises', 'stg_enterprise__enterprises', 'enterprise_code'),
        ('household_businesses', 'stg_enterprise__household_businesses',
         'registration_number'),
        ('chu_su_dung', 'stg_land__land_users', 'land_user_source_id::text'),
    ]) -}}
{%- endmacro %}

{#- The temporary table of the records whose mentions a build computes again
    (source_table, source_record_key). -#}
{% macro changed_person_records() -%}
    pg_temp._kho_changed_person_records
{%- endmacro %}

{#- Pre-hook of int_persons__mentions: the records of staging rows of batches after the last
    the mentions hold of their table (new or changed), and the records the mentions name
    that staging no longer holds (deleted in their source); their mentions are deleted, and
    the model appends those of the records still there. -#}
{% macro take_up_changed_person_records() -%}
    drop table if exists {{ changed_person_records() }};
    {%- if is_incremental() -%}
        create temporary table _kho_changed_person_records as
        with

        {{ last_batches_taken() }}

        {% for table, model_name, key in person_mention_records() -%}
            select
                '{{ table }}'::text as source_table,
                ({{ key }})::text as source_record_key
            from {{ ref(model_name) }} as staged
            where staged._batch_id > coalesce(
                (select taken.last_batch_id from taken where taken.source_table = '{{ table }}'),
                0
            )
            union
            select
                earlier.source_table,
                earlier.source_record_key
            from {{ this }} as earlier
            where
                earlier.source_table = '{{ table }}'
                and not exists (
                    select from {{ ref(model_name) }} as staged
                    where ({{ key }})::text = earlier.source_record_key
                )
            {% if not loop.last %}union{% endif %}
        {% endfor %};
        {{ drop_rows_taken_up(
            changed_person_records(),
            'earlier.source_table = changed.source_table'
            ~ ' and earlier.source_record_key = changed.source_record_key'
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- In int_persons__mentions, the condition on a staging model's rows that an incremental
    build reads: those of the changed records of ``table``, whose key the rows give as
    ``key`` (the expression person_mention_records() names, on the model's alias). -#}
{% macro of_changed_person_records(table, key) -%}
    {%- if is_incremental() -%}
        where ({{ key }})::text in (
            select changed.source_record_key from {{ changed_person_records() }} as changed
            where changed.source_table = '{{ table }}'
        )
    {%- endif -%}
{%- endmacro %}

{#- int_persons__identity_groups is built so from the identities: a group is computed again
    when its members or what they say changed (members_fingerprint: a sum of a hash of each
    member mention and the batch of its record, so that a member added, gone or loaded
    anew changes it; places follow the mentions), or its household did (the co-holders of a
    parcel change with land rights, not with the mention), and dropped when no mention is
    resolved to it any more. -#}
{% macro members_fingerprint(relation_alias='') -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    sum(hashtextextended(
        {{ prefix }}person_mention_id::text || ':' || {{ prefix }}_batch_id::text, 0
    ))
{%- endmacro %}

{#- A group's household: its members' household members' personal IDs (alias
    households), as the group keeps it and as its pre-hook compares it. -#}
{% macro group_household_ids() -%}
    array_agg(distinct households.member_personal_id_number)
{%- endmacro %}

{% macro changed_identity_groups() -%}
    pg_temp._kho_changed_identity_groups
{%- endmacro %}

{#- Pre-hook of int_persons__identity_groups: identities, households: their relations. -#}
{% macro take_up_changed_identity_groups(identities, households) -%}
    drop table if exists {{ changed_identity_groups() }};
    {%- if is_incremental() %}
        create temporary table _kho_changed_identity_groups as
        with

        members as (
            select
                identities.identity_key,
                {{ members_fingerprint('identities') }} as members_fingerprint
            from {{ identities }} as identities
            group by identities.identity_key
        ),

        group_households as (
            select
                identities.identity_key,
                {{ group_household_ids() }} as household_ids
            from {{ households }} as households
            inner join {{ identities }} as identities
                on households.person_mention_id = identities.person_mention_id
            group by identities.identity_key
        )

        select coalesce(members.identity_key, earlier.identity_key) as identity_key
        from members
        full join {{ this }} as earlier on members.identity_key = earlier.identity_key
        left join group_households
            on
                coalesce(members.identity_key, earlier.identity_key)
                = group_households.identity_key
        where
            members.identity_key is null
            or earlier.identity_key is null
            or earlier._members_fingerprint <> members.members_fingerprint
            or earlier.household_ids is distinct from group_households.household_ids;
        {{ drop_rows_taken_up(
            changed_identity_groups(), 'earlier.identity_key = changed.identity_key'
        ) }}
    {%- endif -%}
{%- endmacro %}
