-- Nobody is employed after their registered death unless the assignment is flagged as
-- left open by the agency (is_active_after_death), which data-quality reports publish.
select
    employment.employment_id,
    employment.valid_to,
    person.death_date
from {{ ref('fct_employment') }} as employment
inner join {{ ref('dim_person') }} as person on employment.person_id = person.person_id
where
    person.is_deceased
    and (employment.valid_to is null or employment.valid_to > person.death_date)
    and not employment.is_active_after_death
