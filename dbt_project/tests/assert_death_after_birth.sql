-- Nobody dies before they are born (a year-only birth date compares by year). Birth and
-- death come from different registrations, and a day and month typed the wrong way round
-- (a silent error the registers do contain) can break this: a finding for the civil
-- registry to correct, published as data quality, so it warns rather than blocks a build.
{{ config(severity='warn') }}

select
    person_id,
    birth_date,
    birth_date_precision,
    death_date
from {{ ref('dim_person') }}
where
    death_date is not null
    and birth_date is not null
    and (
        (birth_date_precision = 'day' and death_date < birth_date)
        or (
            birth_date_precision = 'year'
            and extract(year from death_date) < extract(year from birth_date)
        )
    )
