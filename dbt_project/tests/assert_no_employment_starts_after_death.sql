-- No assignment starts after the person's registered death. Start and death come from
-- different agencies, so a violation is a conflict for them to resolve: it warns.
{{ config(severity='warn') }}

select
    employment.employment_id,
    employment.valid_from,
    person.death_date
from {{ ref('fct_employment') }} as employment
inner join {{ ref('dim_person') }} as person on employment.person_id = person.person_id
where person.is_deceased and employment.valid_from > person.death_date
