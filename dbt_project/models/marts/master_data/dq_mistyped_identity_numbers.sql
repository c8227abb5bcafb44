-- Source records whose 12-digit personal ID is another person's ID one keystroke off (two
-- adjacent digits swapped, or one digit mistyped), known because the records give that
-- person's name and birth date or the same spouse or co-parent (int_persons__mistyped_ids:
-- evidence). kho resolves them to that person; the owning agency should correct the
-- number at the source.
with

mistyped_ids as (
    select * from {{ ref('int_persons__mistyped_ids') }}
),

identities as (
    select * from {{ ref('int_persons__identities') }}
),

clusters as (
    select * from {{ ref('int_persons__clusters') }}
),

agencies as (
    select * from {{ ref('source_agencies') }}
),

final as (
    select
        clusters.person_mention_id,
        clusters.person_id,
        clusters.source_system,
        agencies.agency_name_vi as owning_agency_vi,
        agencies.agency_name_en as owning_agency_en,
        clusters.source_table,
        clusters.source_record_key,
        clusters.role,
        identities.personal_id_number as recorded_personal_id_number,
        substr(mistyped_ids.anchor_key, 13) as personal_id_number,
        mistyped_ids.typo,
        mistyped_ids.evidence
    from mistyped_ids
    inner join identities on mistyped_ids.identity_key = identities.identity_key
    inner join clusters on identities.person_mention_id = clusters.person_mention_id
    left join agencies on clusters.source_system = agencies.source_system
)

select * from final
