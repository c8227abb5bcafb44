{#-
  The comparisons entity resolution grades a pair of person mentions with (names, places,
  households, birth dates) and the evidence they add up to: each returns a level, null when
  either side is unknown. Created after util's parsing functions, which some of them call.
-#}
{% macro create_match_comparison_functions() %}
-- How alike two names are, as entity resolution grades them (names without diacritics,
-- lower case, words as written: full_name_key): 4 the same words in any order, 3 one
-- keystroke apart (two for names of 10 letters or more: a letter swapped with the next is
-- two edits), 2 the same family and given name with the middle names differing or left
-- out ("tran trong hao", "tran hao"), 0 different; null when either is unknown.
create or replace function util.name_level(a text, b text)
returns integer language sql immutable parallel safe as $$
    select case
        when a is null or b is null then null
        -- The same words have the same length: most pairs are told apart without sorting.
        when length(a) = length(b) and util.name_match_key(a) = util.name_match_key(b) then 4
        when public.levenshtein_less_equal(a, b, 2)
            <= case when least(length(a), length(b)) >= 10 then 2 else 1 end then 3
        when split_part(a, ' ', 1) = split_part(b, ' ', 1)
            and reverse(split_part(reverse(a), ' ', 1)) = reverse(split_part(reverse(b), ' ', 1))
            and position(' ' in a) > 0 and position(' ' in b) > 0 then 2
        else 0
    end
$$;

-- An administrative unit's name as addresses write it, comparable: without diacritics,
-- lower case, without the kind of unit in front, written out or abbreviated ("Phường 1",
-- "P.1" -> "1"; "Huyện Bến Lức", "H. Bến Lức" -> "ben luc"; "Tỉnh Long An" -> "long an").
create or replace function util.admin_unit_name_key(value text)
returns text language sql immutable parallel safe as $$
    select nullif(btrim(regexp_replace(
        util.name_key(value),
        '^(thanh pho|thi xa|thi tran|phuong|xa|huyen|quan|tinh|tp|tx|tt|p|x|h|q)(\.\s*|\s+)',
        ''
    )), '')
$$;

-- The same name told apart from the names it shares that key with: with its diacritics
-- and the kind of unit, written out ("TT. Tân Thạnh" -> "thị trấn tân thạnh", which is not
-- "xã tân thành"); null when the name does not say the kind.
create or replace function util.admin_unit_strict_key(value text)
returns text language sql immutable parallel safe as $$
    select case lower(kind.matched[1])
        when 'tp' then 'thành phố'
        when 'tx' then 'thị xã'
        when 'tt' then 'thị trấn'
        when 'p' then 'phường'
        when 'x' then 'xã'
        when 'h' then 'huyện'
        when 'q' then 'quận'
        else lower(kind.matched[1])
    end || ' ' || btrim(kind.matched[2])
    from (
        select regexp_match(
            util.name_normalized(value),
            '^(thành phố|thị xã|thị trấn|phường|xã|huyện|quận|tỉnh|tp|tx|tt|p|x|h|q)'
            '(?:\.\s*|\s+)(.+)$'
        ) as matched
    ) as kind
$$;

-- How well what two records say about where a person lives agrees, as entity resolution
-- grades it. Each side gives its residences as legacy commune codes, the same with the
-- street ('<commune>:<street>'), its birth communes, and every commune of either kind on
-- the post-2025 map: 4 the same street in the same commune, 3 the same commune of
-- residence, 2 one side's birth commune is a commune of the other's, 1 only the same
-- commune on the new map (two old communes merged into one), 0 disagreeing; null when a
-- side says nothing.
create or replace function util.place_level(
    residences_a text[], addresses_a text[], births_a text[], current_a text[],
    residences_b text[], addresses_b text[], births_b text[], current_b text[]
)
returns integer language sql immutable parallel safe as $$
    select case
        when current_a is null or current_b is null then null
        when addresses_a && addresses_b then 4
        when residences_a && residences_b then 3
        when births_a && (residences_b || births_b) or births_b && residences_a then 2
        when current_a && current_b then 1
        else 0
    end
$$;

-- Whether two records' households agree, as entity resolution grades them: each side gives
-- the personal IDs of whom its person shares a household with (a spouse, the other parent
-- of a child, the other holders of a parcel) and its own personal ID if it has one: 1 a
-- member in common, 0 none, or one side is a member of the other's household (two people,
-- a couple); null when a side names no one.
create or replace function util.household_level(
    members_a text[], personal_id_a text, members_b text[], personal_id_b text
)
returns integer language sql immutable parallel safe as $$
    select case
        when personal_id_b = any(members_a) or personal_id_a = any(members_b) then 0
        when members_a is null or members_b is null then null
        when members_a && members_b then 1
        else 0
    end
$$;

-- How well two birth dates agree, as entity resolution grades them. Each side is a day
-- (known to the day, else null) and a year: 6 the same day, 5 day and month swapped (a
-- silent entry error), 4 a day apart, 3 the same month of the same year, 2 the same day
-- and month in another year (a mistyped year), 1 only a year known on a side and the
-- years agree, 0 disagreeing; null when a side knows nothing.
create or replace function util.birth_date_level(day_a date, year_a integer, day_b date,
                                                 year_b integer)
returns integer language sql immutable parallel safe as $$
    -- date_part on the parts rather than building dates or text: ten times faster over the
    -- millions of pairs entity resolution weighs.
    select case
        when coalesce(date_part('year', day_a)::integer, year_a) is null
            or coalesce(date_part('year', day_b)::integer, year_b) is null then null
        when day_a = day_b then 6
        when date_part('day', day_a) = date_part('month', day_b)
            and date_part('month', day_a) = date_part('day', day_b)
            and date_part('year', day_a) = date_part('year', day_b) then 5
        when abs(day_a - day_b) = 1 then 4
        when date_part('month', day_a) = date_part('month', day_b)
            and date_part('year', day_a) = date_part('year', day_b) then 3
        when date_part('month', day_a) = date_part('month', day_b)
            and date_part('day', day_a) = date_part('day', day_b) then 2
        when (day_a is null or day_b is null)
            and coalesce(date_part('year', day_a)::integer, year_a)
            = coalesce(date_part('year', day_b)::integer, year_b) then 1
        else 0
    end
$$;

-- Whether two birth days may be one person's: false only when both are known and
-- util.birth_date_level grades them below 2 (another month, and neither a day off, nor day
-- and month swapped, nor the same day and month in another year). Inlined by the planner,
-- cheap enough to prune candidate pairs with before they are compared.
create or replace function util.birth_days_may_agree(day_a date, day_b date)
returns boolean language sql immutable parallel safe as $$
    select day_a is null or day_b is null
        or util.birth_date_level(day_a, null, day_b, null) >= 2
$$;

-- A link's evidence in words, from its name and birth-date levels: name_and_birth_date,
-- similar_name_and_birth_year, name_only, ...
create or replace function util.link_evidence(name_level integer, birth_date_level integer)
returns text language sql immutable parallel safe as $$
    select concat(
        case name_level
            when 4 then 'name' when 3 then 'similar_name'
            when 2 then 'name_but_middle_name' when 0 then 'other_name' else 'no_name'
        end,
        case birth_date_level
            when 6 then '_and_birth_date'
            when 5 then '_and_swapped_birth_date'
            when 4 then '_and_birth_date_a_day_off'
            when 3 then '_and_birth_month'
            when 2 then '_and_birth_day_and_month'
            when 1 then '_and_birth_year'
            when 0 then '_and_other_birth_date'
            else '_only'
        end
    )
$$;
{% endmacro %}
