{{ config(
    tags=['entity_resolution'],
    indexes=[{'columns': ['identity_key']}, {'columns': ['anchor_key']}],
) }}

-- Which person a group without a 12-digit personal ID is (a CMND group, or a mention with no
-- ID at all): the candidates are the personal-ID groups with the same name (words in any
-- order) whose sex and birth year do not contradict it. Their evidence, best first:
--   name_and_birth_date          a birth date agrees to the day
--   name_and_swapped_birth_date  it agrees with day and month swapped (a silent entry error)
--   name_and_birth_year          only the year is known on one side, and it agrees
--   name_only                    the group states no birth date
-- Two dates known to the day that disagree rule the candidate out. The birth year and sex of
-- a personal-ID group come from the ID number itself, so they are never wrong.
--
-- A link is accepted when exactly one candidate has the best evidence and that evidence is
-- unlikely to be a coincidence. The expected number λ of people with the same name, sex
-- and evidence (the candidate included: it errs cautious) is counted from the personal-ID
-- groups (people with that name and sex, times the share born in that year, times 1/365
-- for a day); with p the share of CMND groups whose person has a personal-ID record at all
-- (estimated below), a lone candidate is the person with probability match_score = p / (p
-- + (1 - p) λ). A personal-ID group claimed by two CMND groups is linked to neither (one
-- person holds one CMND), unless one of them was linked before. Every candidate at the
-- best evidence is kept, accepted or not, so a data steward can see why a group was left
-- alone.
with

groups as (
    select * from {{ ref('int_persons__identity_groups') }}
),

anchor_names as (
    select
        identity_key as anchor_key,
        unnest(name_match_keys) as name_match_key,
        sex,
        id_birth_year as birth_year,
        birth_days
    from groups
    where identity_kind = 'personal_id'
),

-- Each anchor with the number of people of its name and sex (window functions throughout,
-- not joins back: the planner cannot estimate these intermediate sets, and a join it
-- believes tiny becomes a nested loop over millions of rows).
anchors as (
    select
        *,
        count(*) over (partition by name_match_key, sex) as people
    from anchor_names
),

year_shares as (
    select
        id_birth_year as birth_year,
        count(*)::double precision / sum(count(*)) over () as birth_year_share
    from groups
    where identity_kind = 'personal_id'
    group by id_birth_year
),

unanchored as (
    -- One row per name and stated birth year (or none), so that the join below hashes on
    -- both: a common name alone would pair every CMND group with thousands of anchors.
    select
        groups.identity_key,
        groups.identity_kind,
        spellings.name_match_key,
        groups.sex,
        stated_years.birth_year,
        groups.stated_birth_years,
        groups.birth_days
    from groups
    cross join lateral unnest(groups.name_match_keys) as spellings (name_match_key)
    cross join
        lateral unnest(
            coalesce(groups.stated_birth_years, array[null::integer])
        ) as stated_years (birth_year)
    where groups.identity_kind <> 'personal_id' and not groups.has_conflicting_sex
),

matched as (
    select
        unanchored.*,
        anchors.anchor_key,
        anchors.sex as anchor_sex,
        anchors.birth_year as anchor_birth_year,
        anchors.birth_days as anchor_birth_days,
        anchors.people
    from unanchored
    inner join anchors
        on
            unanchored.name_match_key = anchors.name_match_key
            and unanchored.birth_year = anchors.birth_year
    union all
    select
        unanchored.*,
        anchors.anchor_key,
        anchors.sex as anchor_sex,
        anchors.birth_year as anchor_birth_year,
        anchors.birth_days as anchor_birth_days,
        anchors.people
    from unanchored
    inner join anchors on unanchored.name_match_key = anchors.name_match_key
    where unanchored.birth_year is null
),

pairs as (
    select
        identity_key,
        identity_kind,
        anchor_key,
        name_match_key,
        anchor_sex as sex,
        anchor_birth_year as birth_year,
        people,
        case
            when birth_days && anchor_birth_days then 3
            when exists (
                select
                from unnest(birth_days) as stated (birth_day)
                where util.day_month_swapped(stated.birth_day) = any(anchor_birth_days)
            ) then 2
            when birth_days is not null and anchor_birth_days is not null then 0
            when stated_birth_years is not null then 1
            else -1
        end as evidence_rank
    from matched
    where sex is null or sex = anchor_sex
),

candidates as (
    -- A group with several spellings meets the same anchor once per shared name: keep one.
    select distinct on (pairs.identity_key, pairs.anchor_key)
        pairs.identity_key,
        pairs.identity_kind,
        pairs.anchor_key,
        pairs.evidence_rank,
        pairs.people
        * case
            when pairs.evidence_rank >= 1 then coalesce(year_shares.birth_year_share, 0)
            else 1
        end
        * case when pairs.evidence_rank >= 2 then 1.0 / 365 else 1 end
            as expected_coincidences
    from pairs
    left join year_shares on pairs.birth_year = year_shares.birth_year
    where pairs.evidence_rank <> 0
    order by pairs.identity_key asc, pairs.anchor_key asc, pairs.evidence_rank desc
),

best as (
    select
        *,
        max(evidence_rank) over (partition by identity_key) as best_rank
    from candidates
),

-- How often a CMND group's person is known by a personal ID at all: among the CMND groups
-- that state a birth date to the day, the share that found a candidate agreeing to the day.
-- (A lower bound: some people have no personal-ID record with a day, so it errs cautious.)
known as (
    select
        greatest(
            0.5,
            least(
                0.99,
                (
                    select count(distinct identity_key)
                    from candidates
                    where evidence_rank >= 2 and identity_kind = 'id_card'
                )::double precision
                / nullif((
                    select count(*)
                    from groups
                    where identity_kind = 'id_card' and birth_days is not null
                ), 0)
            )
        ) as known_share
),

ranked as (
    select
        best.identity_key,
        best.identity_kind,
        best.anchor_key,
        best.evidence_rank,
        -- A single candidate is either the person (p) or, the person having no
        -- personal-ID record, a look-alike (1 - p, times the expected look-alikes).
        round((
            known.known_share
            / (known.known_share + (1 - known.known_share) * best.expected_coincidences)
        )::numeric, 4) as match_score,
        count(*) over (partition by best.identity_key) as candidates_at_best
    from best
    cross join known
    where best.evidence_rank = best.best_rank
),

-- Links published before (master_data.person_links, kept by the master_data/master_ids
-- asset) hold while their anchor is still among the best candidates: new records elsewhere
-- (a look-alike, another CMND group claiming the same person) change the statistics, and
-- must not move a person's ID. Only evidence against the link itself (a contradicting date
-- or sex, a better candidate) breaks it.
previous_links as (
    select * from {{ source('master_data', 'person_links') }}
),

judged as (
    select
        ranked.*,
        ranked.candidates_at_best = 1
        and ranked.match_score >= {{ var('person_link_min_score') }} as is_unique_and_likely,
        previous_links.identity_key is not null as was_linked
    from ranked
    left join previous_links
        on
            ranked.identity_key = previous_links.identity_key
            and ranked.anchor_key = previous_links.anchor_key
),

claimed as (
    -- How many CMND groups claim each anchor (kept before, or unique and likely now).
    select
        *,
        identity_kind = 'id_card'
        and count(*) filter (
            where (is_unique_and_likely or was_linked) and identity_kind = 'id_card'
        ) over (partition by anchor_key) > 1 as is_contested
    from judged
)

select
    identity_key,
    anchor_key,
    case evidence_rank
        when 3 then 'name_and_birth_date'
        when 2 then 'name_and_swapped_birth_date'
        when 1 then 'name_and_birth_year'
        else 'name_only'
    end as evidence,
    match_score,
    candidates_at_best,
    was_linked or (is_unique_and_likely and not is_contested) as is_accepted,
    case
        when was_linked then 'linked_before'
        when candidates_at_best > 1 then 'ambiguous'
        when not is_unique_and_likely then 'likely_coincidence'
        when is_contested then 'anchor_claimed_twice'
        else 'linked'
    end as outcome
from claimed
