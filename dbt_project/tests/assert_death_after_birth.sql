-- Nobody dies before they are born (a year-only birth date compares by year).
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
