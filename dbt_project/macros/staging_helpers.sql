{#- Column sets every staging model that names a person writes the same way. -#}

{#- A source table's live rows, with its key as _source_key. Values ingestion set aside (a
    date that cannot be, an ID that cannot be read, an unknown code: named in the row's
    _value_problems) read as null, and _value_problems says for each the rule it broke and
    the value as written, for dq_source_values. In an incremental build, only the rows that
    batches loaded since the model's last build (a higher _batch_id than any it holds); the
    rows sources deleted are taken out after (delete_rows_deleted_in_source). -#}
{% macro raw_rows(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set key = source_key(source_name, table_name) -%}
    select
        raw.*,
        raw.{{ key }} as _source_key
    from {{ relation }} as raw
    where
        raw._deleted_at is null
        and raw._value_problems is null
        {{ loaded_since_last_build('raw') }}
    union all
    select
        (checked.row_value).*,
        raw.{{ key }} as _source_key
    from {{ relation }} as raw
    cross join lateral (
        select jsonb_populate_record(
            raw,
            jsonb_object_agg(problem.key, null) || jsonb_build_object(
                '_value_problems', jsonb_object_agg(problem.key, jsonb_build_object(
                    'rule', problem.value, 'raw_value', to_jsonb(raw) ->> problem.key
                ))
            )
        ) as row_value
        from jsonb_each_text(raw._value_problems) as problem
    ) as checked
    where
        raw._deleted_at is null
        and raw._value_problems is not null
        {{ loaded_since_last_build('raw') }}
{%- endmacro %}

{#- The key column of a raw table: the source's meta.key, as its contract names it. -#}
{% macro source_key(source_name, table_name) -%}
    {%- if execute -%}
        {%- set node = graph.sources.values()
            | selectattr('source_name', 'equalto', source_name)
            | selectattr('name', 'equalto', table_name) | first -%}
        {{- node.meta.key -}}
    {%- else -%}
        _batch_id
    {%- endif -%}
{%- endmacro %}

{#- In an incremental build, the raw rows of batches after the last one the model holds. -#}
{% macro loaded_since_last_build(alias) -%}
    {%- if is_incremental() -%}
        and {{ alias }}._batch_id > (
            select coalesce(max(staged._batch_id), 0) from {{ this }} as staged
        )
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the staging models of source tables: the rows of keys the source deleted
    (ingestion marks them deleted in the raw table, never removes them) leave the model.
    A full build never selects them; an incremental one removes them here. -#}
{% macro delete_rows_deleted_in_source() -%}
    {%- if execute -%}
        {%- set source_name, table_name = model.sources[0] -%}
        delete from {{ this }} as staged
        using {{ source(source_name, table_name) }} as raw
        where raw._deleted_at is not null
            and staged._source_key = raw.{{ source_key(source_name, table_name) }}
    {%- endif -%}
{%- endmacro %}

{#- full_name (clean NFC, without an honorific), full_name_normalized (lower case, one
    tone placement) and full_name_key (no diacritics), from a raw name column. -#}
{% macro person_name_columns(column, prefix='') -%}
    util.person_name({{ column }}) as {{ prefix }}full_name,
    util.name_normalized(util.person_name({{ column }})) as {{ prefix }}full_name_normalized,
    util.name_key(util.person_name({{ column }})) as {{ prefix }}full_name_key
{%- endmacro %}

{#- The identity number as written, read (separators dropped, a lost leading zero
    restored) and split by kind: a 12-digit personal ID number or a 9-digit identity card
    (CMND). -#}
{% macro identity_columns(column, prefix='') -%}
    util.identity_number({{ column }}) as {{ prefix }}id_number,
    util.personal_id_of({{ column }}) as {{ prefix }}personal_id_number,
    util.id_card_of({{ column }}) as {{ prefix }}id_card_number
{%- endmacro %}

{#- A date as the source wrote it, parsed, with how much of it the source knew. -#}
{% macro date_columns(column, name) -%}
    util.parse_date({{ column }}) as {{ name }},
    util.date_precision({{ column }}) as {{ name }}_precision
{%- endmacro %}

{#- The notes of a row for dq_source_values: the values ingestion set aside (from the
    relation's _value_problems), and the person names and identity numbers among the
    relation's columns (``names``, ``identity_numbers``) that took more than cleaning to
    read; ``normalised`` adds other (column, value read, notes) triples. Null for a row
    with none, which is almost every row: the notes are only assembled where there is
    one. -#}
{% macro value_notes(relation, names=[], identity_numbers=[], normalised=[]) -%}
    {%- set checks = [] -%}
    {%- for column in names -%}
        {%- set raw = relation ~ '.' ~ column -%}
        {%- do checks.append((column, 'util.person_name(' ~ raw ~ ')',
                              'util.person_name_notes(' ~ raw ~ ')')) -%}
    {%- endfor -%}
    {%- for column in identity_numbers -%}
        {%- set raw = relation ~ '.' ~ column -%}
        {%- do checks.append((column, 'util.identity_number(' ~ raw ~ ')',
                              'util.identity_number_notes(' ~ raw ~ ')')) -%}
    {%- endfor -%}
    {%- set any_note = [relation ~ '._value_problems is not null'] -%}
    {%- set items = [] -%}
    {%- for column, value, notes in checks + normalised -%}
        {%- do any_note.append(notes ~ ' is not null') -%}
        {%- do items.append("'" ~ column ~ "', " ~ relation ~ '.' ~ column ~ ', ' ~ value
                            ~ ', ' ~ notes) -%}
    {%- endfor -%}
    case when {{ any_note | join(' or ') }} then util.value_notes(
        {{ relation }}._value_problems, array[{{ items | join(', ') }}]::text[]
    ) end
{%- endmacro %}

{#- The current commune a legacy commune code became, joined by a staging model that
    keeps communes: ``left join`` this on the model's raw commune column. -#}
{% macro current_commune_join(column) -%}
    left join {{ ref('stg_reference__commune_codes') }} as communes
        on btrim({{ column }}) = communes.commune_code
{%- endmacro %}

{#- Statistics for a freshly built table (autovacuum would get to it too late, after the
    models that read it). An incremental model is analysed when it was built anew (never
    analysed: reltuples -1), or when this build changed as many of its rows as make
    autovacuum analyse a table (50 and a tenth); a build that changed a few rows of a large
    table does not pay for sampling it again (autovacuum analyses it once the changes of
    several builds add up). -#}
{% macro analyze_table() -%}
    {%- if model.config.materialized == 'table' -%}
        analyze {{ this }}
    {%- elif model.config.materialized == 'incremental' -%}
        do $analyze$ begin
            if (
                select
                    tables.reltuples < 0
                    or pg_stat_get_xact_tuples_inserted(tables.oid)
                    + pg_stat_get_xact_tuples_updated(tables.oid)
                    + pg_stat_get_xact_tuples_deleted(tables.oid)
                    > 50 + 0.1 * greatest(tables.reltuples, 0)
                from pg_class as tables
                where tables.oid = format(
                    '%I.%I', '{{ this.schema }}', '{{ this.identifier }}'
                )::regclass
            ) then
                analyze {{ this }};
            end if;
        end $analyze$
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The 12-digit personal ID number, or the 9-digit identity card number, of an identity
    number staging has already read (util.identity_number gives one of the two or null):
    for a column that was read once, without reading it again. -#}
{% macro personal_id_of_read(column) -%}
    case when length({{ column }}) = 12 then {{ column }} end
{%- endmacro %}

{% macro id_card_of_read(column) -%}
    case when length({{ column }}) = 9 then {{ column }} end
{%- endmacro %}
