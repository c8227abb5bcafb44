{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ take_up_changed_mentions(
        ref('int_persons__mentions'), 'person_mention_id', 'person_mention_id',
        relevant=mention_names_a_place()
    ) }}",
    tags=['entity_resolution'],
    indexes=[{'columns': ['person_mention_id']}],
) }}

-- Where each person mention says its person lives or was born, as communes of both maps
-- (before and after 2025): a residence from the commune code its record states, else read
-- from its address, a birth commune from a birth registration. One row per mention and
-- kind of place; entity resolution compares them (util.place_level).
--
-- An address names its commune in consecutive parts: commune, district and province on the
-- old map ("12 Lê Lợi, Xã An Thạnh, Huyện Bến Lức, Tỉnh Long An", or abbreviated "X. An
-- Thạnh, H. Bến Lức, Long An"; the province may be left out where the commune and district
-- names are found in one province only), or commune and province on the new one. The street
-- is the part before the commune.
--
-- Built incrementally (incremental_mentions): a build reads the places of the mentions new
-- or changed since the last.
with

mentions as (
    select * from {{ ref('int_persons__mentions') }} as mentions
    where
        {{ mention_names_a_place() }}
        {% if is_incremental() -%}
            and mentions.person_mention_id in (
                select changed.changed_key from {{ changed_mention_keys() }} as changed
            )
        {%- endif %}
),

units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

commune_codes as (
    select * from {{ ref('stg_reference__commune_codes') }}
),

legacy_communes as (
    select
        util.admin_unit_name_key(communes.admin_unit_name) as commune_key,
        util.admin_unit_strict_key(communes.admin_unit_name) as commune_strict_key,
        util.admin_unit_name_key(districts.admin_unit_name) as district_key,
        util.admin_unit_name_key(provinces.admin_unit_name) as province_key,
        communes.admin_unit_code as legacy_commune_code
    from units as communes
    inner join units as districts on communes.parent_admin_unit_id = districts.admin_unit_id
    inner join units as provinces on districts.parent_admin_unit_id = provinces.admin_unit_id
    where communes.generation = 'legacy' and communes.level = 'commune'
),

current_communes as (
    select
        util.admin_unit_name_key(communes.admin_unit_name) as commune_key,
        util.admin_unit_name_key(provinces.admin_unit_name) as province_key,
        communes.admin_unit_code as current_commune_code
    from units as communes
    inner join units as provinces on communes.parent_admin_unit_id = provinces.admin_unit_id
    where communes.generation = 'current' and communes.level = 'commune'
),

-- Communes whose key another of their district shares ("Thị trấn Tân Thạnh" and "Xã Tân
-- Thành" in Huyện Tân Thạnh): an address names one of them only as it writes it, with the
-- kind of unit and diacritics (util.admin_unit_strict_key).
shared_keys as (
    select
        commune_key,
        district_key,
        province_key
    from legacy_communes
    group by commune_key, district_key, province_key
    having count(*) > 1
),

-- Every run of parts that names one commune, best first: old commune (as written where its
-- key is shared), district and province; old commune and district found in one province
-- only; new commune and province. A run that names two communes names none.
unit_paths as (
    select
        commune_key || '|' || district_key || '|' || province_key as unit_path,
        false as by_strict_name,
        min(legacy_commune_code) as legacy_commune_code,
        1 as path_rank
    from legacy_communes
    group by commune_key, district_key, province_key
    having count(*) = 1
    union all
    select
        legacy_communes.commune_strict_key || '|' || legacy_communes.district_key || '|'
        || legacy_communes.province_key as unit_path,
        true as by_strict_name,
        min(legacy_communes.legacy_commune_code) as legacy_commune_code,
        1 as path_rank
    from legacy_communes
    inner join shared_keys
        on
            legacy_communes.commune_key = shared_keys.commune_key
            and legacy_communes.district_key = shared_keys.district_key
            and legacy_communes.province_key = shared_keys.province_key
    where legacy_communes.commune_strict_key is not null
    group by
        legacy_communes.commune_strict_key,
        legacy_communes.district_key,
        legacy_communes.province_key
    having count(*) = 1
    union all
    select
        commune_key || '|' || district_key as unit_path,
        false as by_strict_name,
        min(legacy_commune_code) as legacy_commune_code,
        2 as path_rank
    from legacy_communes
    group by commune_key, district_key
    having count(*) = 1
    union all
    select
        commune_key || '|' || province_key as unit_path,
        false as by_strict_name,
        null as legacy_commune_code,
        3 as path_rank
    from current_communes
    group by commune_key, province_key
    having count(*) = 1
),

current_paths as (
    select
        commune_key || '|' || province_key as unit_path,
        min(current_commune_code) as current_commune_code
    from current_communes
    group by commune_key, province_key
    having count(*) = 1
),

-- Each address's parts in order. Most parts name a commune, district or province that many
-- addresses share: each distinct part is read once (part_keys), and each address's keys
-- are built once (materialized: the windows below read them several times).
address_parts as (
    select
        mentions.person_mention_id,
        string_to_array(mentions.residence_address, ',') as parts,
        part.value as part,
        part.position
    from mentions
    cross join
        lateral unnest(
            string_to_array(mentions.residence_address, ',')
        ) with ordinality as part (value, position)
    where mentions.residence_commune_code is null and mentions.residence_address is not null
),

part_keys as (
    select
        keyed.part,
        keyed.part_key,
        -- As written only where it can matter: reading it is costlier than the key.
        case
            when keyed.part_key in (select shared_keys.commune_key from shared_keys)
                then util.admin_unit_strict_key(keyed.part)
        end as part_strict_key
    from (
        select
            distinct_parts.part,
            util.admin_unit_name_key(distinct_parts.part) as part_key
        from (select distinct part from address_parts) as distinct_parts
    ) as keyed
),

addresses as materialized (
    select
        address_parts.person_mention_id,
        address_parts.parts,
        array_agg(part_keys.part_key order by address_parts.position) as part_keys,
        array_agg(part_keys.part_strict_key order by address_parts.position) as part_strict_keys
    from address_parts
    inner join part_keys on address_parts.part = part_keys.part
    group by address_parts.person_mention_id, address_parts.parts
),

-- Every window of two and three consecutive parts, once, and of three with the first
-- as written (materialized: then one join with the paths below, not a search of them per
-- address).
address_windows as materialized (
    select
        addresses.person_mention_id,
        addresses.parts,
        windows.first_part,
        windows.unit_path,
        windows.by_strict_name
    from addresses
    cross join lateral (
        select
            part_runs.first_part,
            array_to_string(
                addresses.part_keys[part_runs.first_part:part_runs.first_part + 1], '|'
            ) as unit_path,
            false as by_strict_name
        from generate_series(1, cardinality(addresses.part_keys) - 1) as part_runs (first_part)
        union all
        select
            part_runs.first_part,
            array_to_string(
                addresses.part_keys[part_runs.first_part:part_runs.first_part + 2], '|'
            ) as unit_path,
            false as by_strict_name
        from generate_series(1, cardinality(addresses.part_keys) - 2) as part_runs (first_part)
        union all
        select
            part_runs.first_part,
            addresses.part_strict_keys[part_runs.first_part] || '|' || array_to_string(
                addresses.part_keys[part_runs.first_part + 1:part_runs.first_part + 2], '|'
            ) as unit_path,
            true as by_strict_name
        from generate_series(1, cardinality(addresses.part_keys) - 2) as part_runs (first_part)
        where addresses.part_strict_keys[part_runs.first_part] is not null
    ) as windows
),

-- The commune an address names: the best run of parts, the last of those.
address_communes as (
    select distinct on (address_windows.person_mention_id)
        address_windows.person_mention_id,
        unit_paths.legacy_commune_code,
        current_paths.current_commune_code,
        case
            when address_windows.first_part > 1
                then util.name_key(address_windows.parts[1])
        end as street_key
    from address_windows
    inner join unit_paths
        on
            address_windows.unit_path = unit_paths.unit_path
            and address_windows.by_strict_name = unit_paths.by_strict_name
    left join current_paths
        on unit_paths.path_rank = 3 and address_windows.unit_path = current_paths.unit_path
    order by
        address_windows.person_mention_id asc,
        unit_paths.path_rank asc,
        address_windows.first_part desc,
        unit_paths.legacy_commune_code asc
),

residences as (
    select
        mentions.person_mention_id,
        'residence' as place_kind,
        case
            when mentions.residence_commune_code is null
                then address_communes.legacy_commune_code
            when stated.generation = 'legacy' then stated.commune_code
        end as legacy_commune_code,
        coalesce(address_communes.current_commune_code, stated.current_commune_code)
            as current_commune_code,
        case
            when mentions.residence_commune_code is not null
                then util.name_key(split_part(mentions.residence_address, ',', 1))
            else address_communes.street_key
        end as street_key,
        mentions.source_table,
        mentions._batch_id
    from mentions
    left join address_communes
        on mentions.person_mention_id = address_communes.person_mention_id
    left join commune_codes as stated
        on
            coalesce(
                btrim(mentions.residence_commune_code), address_communes.legacy_commune_code
            ) = stated.commune_code
    where mentions.residence_commune_code is not null or mentions.residence_address is not null
),

births as (
    select
        person_mention_id,
        'birth' as place_kind,
        birth_legacy_commune_code as legacy_commune_code,
        birth_current_commune_code as current_commune_code,
        null as street_key,
        source_table,
        _batch_id
    from mentions
    where birth_legacy_commune_code is not null
),

final as (
    select * from residences
    where current_commune_code is not null
    union all
    select * from births
    where current_commune_code is not null
)

select * from final
