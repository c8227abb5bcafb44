{{ config(
    tags=['entity_resolution'],
    indexes=[{'columns': ['identity_key']}, {'columns': ['anchor_key']}],
) }}

-- Which person a group without a 12-digit personal ID is (a CMND group, a record with no
-- ID, a record whose ID was disputed), and which personal-ID groups are another's mistyped
-- ID. One row per candidate worth showing a data steward, with why.
--
-- A candidate pair (int_persons__candidate_pairs) has a Bayes factor: the product of m / u
-- over its comparison levels (int_persons__match_weights), with the name's own frequency
-- among personal-ID groups as u where the names agree (agreeing on a common name is weak
-- evidence). A group is one of its N candidates' persons, or of nobody known: with p the
-- share of such groups whose person has a personal ID (estimated below from the factors
-- themselves, per kind of group) and r = p / ((1 - p) N) the prior odds of one given
-- person, candidate i is the person with probability
--   match_probability_i = r BF_i / (1 + r sum_j BF_j),
-- so that two good candidates share the belief and neither is taken.
--
-- The best candidate is linked when its probability is at least person_link_accept_probability
-- (dbt var); between person_link_review_probability and that it waits in the review queue
-- (review_person_links), as does a personal ID two CMND groups would both take (one person
-- holds one CMND). A steward's decision (master_data.person_link_reviews) outranks the
-- model in every later build. A link published before (master_data.person_links) holds
-- while its anchor is still the best candidate and at least reviewable: new records
-- elsewhere must not move a person's ID, only evidence against the link itself.
with recursive

pairs as (
    select * from {{ ref('int_persons__candidate_pairs') }}
),

weights as (
    select * from {{ ref('int_persons__match_weights') }}
),

groups as (
    select * from {{ ref('int_persons__identity_groups') }}
),

mistyped_ids as (
    select * from {{ ref('int_persons__mistyped_ids') }}
),

previous_links as (
    select * from {{ source('master_data', 'person_links') }}
),

reviews as (
    select * from {{ source('master_data', 'person_link_reviews') }}
),

anchor_count as (
    select count(*)::double precision as anchors
    from groups
    where identity_kind = 'personal_id'
),

factors as (
    select
        pairs.*,
        -- log2 of the Bayes factor: each known level's weight; agreeing names weigh by
        -- their own frequency.
        coalesce(case
            when pairs.name_level = 4
                then ln(
                    name_weights.m_probability * anchor_count.anchors
                    / greatest(pairs.anchors_with_name, 1)
                ) / ln(2
                )
            else name_weights.match_weight
        end, 0)
        + coalesce(date_weights.match_weight, 0)
        + coalesce(sex_weights.match_weight, 0)
        + coalesce(place_weights.match_weight, 0)
        + coalesce(household_weights.match_weight, 0) as match_weight,
        anchor_count.anchors
    from pairs
    cross join anchor_count
    left join weights as name_weights
        on name_weights.comparison = 'name' and pairs.name_level = name_weights.level
    left join weights as date_weights
        on date_weights.comparison = 'birth_date' and pairs.birth_date_level = date_weights.level
    left join weights as sex_weights
        on sex_weights.comparison = 'sex' and pairs.sex_level = sex_weights.level
    left join weights as place_weights
        on place_weights.comparison = 'place' and pairs.place_level = place_weights.level
    left join weights as household_weights
        on
            household_weights.comparison = 'household'
            and pairs.household_level = household_weights.level
    -- A pair a steward rejected is no candidate.
    where not exists (
        select from reviews
        where
            reviews.identity_key = pairs.identity_key
            and reviews.anchor_key = pairs.anchor_key
            and reviews.decision = 'reject'
    )
),

-- Each group's total evidence, as the expected number of its persons among the anchors.
totals as (
    select
        identity_key,
        identity_kind,
        sum(power(2, least(match_weight, 1000)) / anchors) as evidence
    from factors
    group by identity_key, identity_kind
),

-- p per kind of group, by expectation maximisation over the groups (those with no
-- candidate included): p is the mean probability that a group's person is an anchor.
group_evidence as (
    select
        groups.identity_kind,
        coalesce(totals.evidence, 0) as evidence
    from groups
    left join totals on groups.identity_key = totals.identity_key
    where groups.identity_kind <> 'personal_id'
),

evidence_bins as (
    select
        identity_kind,
        count(*) as group_count,
        avg(evidence) as evidence
    from group_evidence
    group by identity_kind, case when evidence > 0 then round(ln(evidence) / ln(2) * 4) end
),

known_share (identity_kind, step, share_known) as (
    select distinct
        identity_kind,
        0 as step,
        0.5::double precision as share_known
    from evidence_bins
    union all
    select
        known_share.identity_kind,
        known_share.step + 1 as step,
        next_step.share_known
    from known_share
    cross join
        lateral (
            select
                least(0.999, greatest(
                    0.001,
                    sum(
                        evidence_bins.group_count * known_share.share_known
                        * evidence_bins.evidence
                        / (
                            1 - known_share.share_known
                            + known_share.share_known * evidence_bins.evidence
                        )
                    ) / sum(evidence_bins.group_count)
                )) as share_known
            from evidence_bins
            where evidence_bins.identity_kind = known_share.identity_kind
        ) as next_step
    where known_share.step < 50
),

scored as (
    select
        factors.*,
        known_share.share_known,
        -- r BF_i / (1 + r sum_j BF_j), with r = p / ((1 - p) N) and evidence = sum BF / N.
        (known_share.share_known / (1 - known_share.share_known))
        * power(2, least(factors.match_weight, 1000)) / factors.anchors
        / (1 + known_share.share_known / (1 - known_share.share_known) * totals.evidence)
            as match_probability
    from factors
    inner join totals on factors.identity_key = totals.identity_key
    inner join known_share
        on factors.identity_kind = known_share.identity_kind and known_share.step = 50
),

ranked as (
    select
        scored.*,
        row_number() over (
            partition by scored.identity_key
            order by scored.match_probability desc, scored.anchor_key asc
        ) as candidate_rank,
        count(*) over (partition by scored.identity_key) as candidates,
        previous_links.identity_key is not null as was_linked,
        accepted.identity_key is not null as was_accepted_in_review
    from scored
    left join previous_links
        on
            scored.identity_key = previous_links.identity_key
            and scored.anchor_key = previous_links.anchor_key
    left join reviews as accepted
        on
            scored.identity_key = accepted.identity_key
            and scored.anchor_key = accepted.anchor_key
            and accepted.decision = 'accept'
),

judged as (
    select
        *,
        was_accepted_in_review
        or (
            candidate_rank = 1
            and (
                match_probability >= {{ var('person_link_accept_probability') }}
                or (was_linked and match_probability >= {{ var('person_link_review_probability') }})
            )
        ) as is_likely
    from ranked
),

-- A personal ID that two CMND groups would take: one person holds one CMND, so neither
-- is taken, unless one was linked or accepted before, or the two numbers are one
-- keystroke apart (the same card, mistyped once).
claimants as (
    select
        anchor_key,
        identity_key
    from judged
    where is_likely and identity_kind = 'id_card'
),

contested_anchors as (
    select distinct one.anchor_key
    from claimants as one
    inner join claimants as other
        on
            one.anchor_key = other.anchor_key
            and one.identity_key < other.identity_key
    where
        util.identity_number_typo(
            substr(one.identity_key, 9), substr(other.identity_key, 9)
        ) is null
),

claimed as (
    -- A steward's accepted candidate is the only one taken.
    select
        judged.*,
        bool_or(judged.was_accepted_in_review) over (partition by judged.identity_key)
        and not judged.was_accepted_in_review as is_overruled,
        judged.identity_kind = 'id_card'
        and not (judged.was_linked or judged.was_accepted_in_review)
        and contested_anchors.anchor_key is not null as is_contested
    from judged
    left join contested_anchors on judged.anchor_key = contested_anchors.anchor_key
),

links as (
    select
        identity_key,
        anchor_key,
        case
            when was_accepted_in_review then 'review'
            else util.link_evidence(name_level, birth_date_level)
        end as evidence,
        name_level,
        birth_date_level,
        sex_level,
        place_level,
        household_level,
        round(match_weight::numeric, 3) as match_weight,
        round(match_probability::numeric, 4) as match_score,
        candidate_rank,
        candidates,
        is_likely and not is_contested and not is_overruled as is_accepted,
        case
            when was_accepted_in_review then 'review_accepted'
            when is_overruled then 'not_best'
            when is_likely and is_contested then 'anchor_claimed_twice'
            when
                is_likely and was_linked
                and match_probability < {{ var('person_link_accept_probability') }}
                then 'linked_before'
            when is_likely then 'linked'
            when candidate_rank > 1 then 'not_best'
            when match_probability >= {{ var('person_link_review_probability') }} then 'review'
            else 'unlikely'
        end as outcome
    from claimed
    where candidate_rank <= 3 or was_linked or was_accepted_in_review
),

-- What a steward decided against stays visible.
rejected as (
    select
        reviews.identity_key,
        reviews.anchor_key,
        util.link_evidence(pairs.name_level, pairs.birth_date_level) as evidence,
        pairs.name_level,
        pairs.birth_date_level,
        pairs.sex_level,
        pairs.place_level,
        pairs.household_level,
        null::numeric as match_weight,
        null::numeric as match_score,
        null::bigint as candidate_rank,
        null::bigint as candidates,
        false as is_accepted,
        'review_rejected' as outcome
    from reviews
    left join pairs
        on reviews.identity_key = pairs.identity_key and reviews.anchor_key = pairs.anchor_key
    where reviews.decision = 'reject'
),

typo_links as (
    select
        identity_key,
        anchor_key,
        typo as evidence,
        null::integer as name_level,
        null::integer as birth_date_level,
        null::integer as sex_level,
        null::integer as place_level,
        null::integer as household_level,
        null::numeric as match_weight,
        1.0::numeric as match_score,
        1::bigint as candidate_rank,
        1::bigint as candidates,
        true as is_accepted,
        'identity_number_typo' as outcome
    from mistyped_ids
)

select * from links
union all
select * from rejected
union all
select * from typo_links
