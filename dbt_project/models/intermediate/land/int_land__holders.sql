-- Each land user of the register with the master record it stands for: a person by a
-- valid 12-digit ID, an enterprise by its code, a household business by its registration.
-- Land users known only by a 9-digit card or by name keep a null person_id until entity
-- resolution links them.
with

land_users as (
    select * from {{ ref('stg_land__land_users') }}
)

select
    land_user_source_id,
    holder_type,
    holder_name,
    holder_name_key,
    id_document_type,
    case
        when personal_id_number is not null
            then {{ stable_id('person', 'personal_id_number') }}
    end as person_id,
    case
        when enterprise_code is not null
            then {{ stable_id('enterprise', 'enterprise_code') }}
        when household_business_registration_number is not null
            then {{ stable_id('household_business', 'household_business_registration_number') }}
    end as organization_id
from land_users
