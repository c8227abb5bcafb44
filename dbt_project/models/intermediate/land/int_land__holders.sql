-- Each land user of the register with the master record it stands for: a person as entity
-- resolution resolved it (xref_person), an enterprise by its code, a household business by
-- its registration.
with

land_users as (
    select * from {{ ref('stg_land__land_users') }}
),

persons as (
    select * from {{ ref('int_persons__clusters') }}
    where source_table = 'chu_su_dung' and role = 'holder'
)

select
    land_users.land_user_source_id,
    land_users.holder_type,
    land_users.holder_name,
    land_users.holder_name_key,
    land_users.id_document_type,
    persons.person_id,
    case
        when land_users.enterprise_code is not null
            then {{ stable_id('enterprise', 'land_users.enterprise_code') }}
        when land_users.household_business_registration_number is not null
            then {{ stable_id(
                'household_business', 'land_users.household_business_registration_number'
            ) }}
    end as organization_id
from land_users
left join persons on land_users.land_user_source_id::text = persons.source_record_key
