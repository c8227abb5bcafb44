{#-
  Helpers the staging models need and PostgreSQL lacks. Parsing returns null on bad input
  instead of failing the whole build: ingestion already quarantined rows that break their
  table's contract and named the values it set aside, so these only meet valid values and
  the occasional oddity.
-#}
{% macro create_util_functions() %}
create schema if not exists util;

-- None of these functions may catch errors: an EXCEPTION block starts a subtransaction,
-- which a parallel worker cannot, so it would quietly return null for the rows a worker
-- reads. They check their input instead.

-- True for a real calendar day.
create or replace function util.is_valid_ymd(y integer, m integer, d integer)
returns boolean language sql immutable parallel safe as $$
    select y between 1 and 9999 and m between 1 and 12 and d >= 1 and d <= case
        when m in (4, 6, 9, 11) then 30
        when m = 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
        else 31
    end
$$;

-- A date in any format the agencies use: ISO (yyyy-mm-dd, with or without a time),
-- dd/mm/yyyy, or the year alone (read as 1 January; see util.date_precision).
create or replace function util.parse_date(value text)
returns date language plpgsql immutable parallel safe as $$
declare
    v text := btrim(value);
    y integer;
    m integer;
    d integer;
begin
    if v ~ '^\d{4}$' then
        y := v::integer; m := 1; d := 1;
    elsif v ~ '^\d{1,2}/\d{1,2}/\d{4}$' then
        y := split_part(v, '/', 3)::integer;
        m := split_part(v, '/', 2)::integer;
        d := split_part(v, '/', 1)::integer;
    elsif v ~ '^\d{4}-\d{2}-\d{2}' then
        y := substr(v, 1, 4)::integer;
        m := substr(v, 6, 2)::integer;
        d := substr(v, 9, 2)::integer;
    else
        return null;
    end if;
    if util.is_valid_ymd(y, m, d) then
        return make_date(y, m, d);
    end if;
    return null;
end;
$$;

-- How much of a date the source knew: 'year' for a year alone, 'day' otherwise.
create or replace function util.date_precision(value text)
returns text language sql immutable parallel safe as $$
    select case
        when nullif(btrim(value), '') is null then null
        when btrim(value) ~ '^\d{4}$' then 'year'
        else 'day'
    end
$$;

create or replace function util.try_timestamp(value text)
returns timestamp language plpgsql immutable parallel safe as $$
declare
    v text := btrim(value);
begin
    if v ~ '^\d{4}-\d{2}-\d{2}([ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?$'
       and util.parse_date(v) is not null then
        return v::timestamp;
    end if;
    return null;
end;
$$;

create or replace function util.try_numeric(value text)
returns numeric language plpgsql immutable parallel safe as $$
declare
    v text := btrim(value);
begin
    if v ~ '^[+-]?(\d+(\.\d*)?|\.\d+)$' then
        return v::numeric;
    end if;
    return null;
end;
$$;

-- Characters pasted in from other systems that show as nothing (zero-width spaces and
-- joiners, the byte-order mark, the soft hyphen), and the spaces that are not plain ones
-- (no-break, figure and narrow spaces, tabs, line breaks).
create or replace function util.has_invisible_characters(value text)
returns boolean language sql immutable parallel safe as $$
    select value ~ '[\u200b-\u200d\u2060\ufeff\u00ad\u00a0\u2007\u202f\t\r\n]'
$$;

-- Trimmed, single-spaced, NFC text, without invisible characters.
create or replace function util.clean_text(value text)
returns text language sql immutable parallel safe as $$
    select nullif(btrim(regexp_replace(normalize(regexp_replace(
        value, '[\u200b-\u200d\u2060\ufeff\u00ad]', '', 'g'
    ), nfc), '[\s\u00a0\u2007\u202f]+', ' ', 'g')), '')
$$;

-- A person's name with any punctuation taken for a space.
create or replace function util.name_without_punctuation(value text)
returns text language sql immutable parallel safe as $$
    select regexp_replace(value, '[.,;:_\-/\\()"''`*]+', ' ', 'g')
$$;

-- Family names of Vietnam (without diacritics), for telling an honorific from a name.
create or replace function util.is_family_name(word text)
returns boolean language sql immutable parallel safe as $$
    select word = any(array[
        'nguyen', 'tran', 'le', 'pham', 'hoang', 'huynh', 'phan', 'vu', 'vo', 'dang', 'bui',
        'do', 'ho', 'ngo', 'duong', 'ly', 'truong', 'dinh', 'lam', 'mai', 'to', 'chau', 'cao',
        'luu', 'ta', 'thai', 'quach', 'doan', 'trinh', 'luong', 'la', 'ha', 'kieu', 'lai',
        'thach', 'tang', 'vuong', 'tieu', 'giang', 'nghiem', 'ton', 'mac', 'luc', 'diep',
        'ung', 'van', 'kim', 'son', 'au', 'trieu', 'khuc', 'quan', 'nong', 'hua', 'phung',
        'thieu', 'tong', 'ninh', 'bach', 'dao', 'dam', 'dieu', 'khong', 'khuat', 'lo', 'lu',
        'lieu', 'man', 'nham', 'ong', 'quang', 'than', 'tu', 'uong', 'vi', 'yen', 'chu',
        'chung', 'cu', 'giap', 'han', 'hau', 'hong', 'khong', 'lang', 'linh', 'nghiem', 'on',
        'phi', 'phuong', 'sam', 'thang', 'thuy', 'tiet', 'trang', 'trac', 'vinh', 'xa'
    ])
$$;

-- How many leading words of a name are an honorific, as land registers write holders:
-- "Ông", "Bà", "Cụ", "Hộ ông", "Hộ bà", "Hộ gia đình ông/bà" (also in capitals or
-- without diacritics). Only when a family name and at least one more word follow, so
-- that a family name such as Ông, or "Hồ Bá Lâm", is never taken for one.
create or replace function util.honorific_words(value text)
returns integer language plpgsql immutable parallel safe as $$
declare
    words text[] := string_to_array(lower(util.clean_text(value)), ' ');
    bare text[] := string_to_array(public.unaccent(lower(util.clean_text(value))), ' ');
    n integer := 0;
begin
    if words is null then
        return 0;
    end if;
    -- A word is the honorific when written so, or when written without diacritics at all.
    if bare[1] = 'ho' and (words[1] = 'hộ' or words[1] = 'ho') then
        if bare[2:4] = array['gia', 'dinh', 'ong'] or bare[2:4] = array['gia', 'dinh', 'ba'] then
            n := 4;
        elsif words[2] in ('ông', 'bà') or (words[2] = bare[2] and bare[2] in ('ong', 'ba')) then
            n := 2;
        end if;
    elsif words[1] in ('ông', 'bà', 'cụ')
        or (words[1] = bare[1] and bare[1] in ('ong', 'ba', 'cu')) then
        n := 1;
    end if;
    if n > 0 and array_length(words, 1) >= n + 2 and util.is_family_name(bare[n + 1]) then
        return n;
    end if;
    return 0;
end;
$$;

-- Punctuation in a person's name ("Nguyễn Văn An.", "Nguyễn-Văn An"): Vietnamese names
-- have none, so it is a stray keystroke or a separator.
create or replace function util.has_name_punctuation(value text)
returns boolean language sql immutable parallel safe as $$
    select value ~ '[.,;:_\-/\\()"''`*]'
$$;

-- A person's name as a register wrote it, clean, without punctuation or an honorific.
create or replace function util.person_name(value text)
returns text language sql immutable parallel safe as $$
    select nullif(array_to_string(
        (string_to_array(util.clean_text(util.name_without_punctuation(value)), ' '))[
            util.honorific_words(util.name_without_punctuation(value)) + 1:
        ],
        ' '
    ), '')
$$;

-- What kho did to a person's name to read it (for dq_source_values): comma-separated.
create or replace function util.person_name_notes(value text)
returns text language sql immutable parallel safe as $$
    select nullif(concat_ws(
        ',',
        case when util.has_invisible_characters(value) then 'invisible_characters_removed' end,
        case when util.has_name_punctuation(value) then 'punctuation_removed' end,
        case
            when util.honorific_words(util.name_without_punctuation(value)) > 0
                then 'honorific_removed'
        end
    ), '')
$$;

-- Tone marks of open oa / oe / uy syllables in the new placement ("hòa" -> "hoà",
-- "thủy" -> "thuỷ"), so that both spellings of one name compare equal. Lower case input.
create or replace function util.new_tone_style(value text)
returns text language plpgsql immutable parallel safe as $$
declare
    v text := value;
    old_style text[] := array['òa', 'óa', 'ỏa', 'õa', 'ọa', 'òe', 'óe', 'ỏe', 'õe', 'ọe',
                              'ùy', 'úy', 'ủy', 'ũy', 'ụy'];
    new_style text[] := array['oà', 'oá', 'oả', 'oã', 'oạ', 'oè', 'oé', 'oẻ', 'oẽ', 'oẹ',
                              'uỳ', 'uý', 'uỷ', 'uỹ', 'uỵ'];
begin
    if v is null or v !~ '[òóỏõọùúủũụ][aey]\M' then
        return v;
    end if;
    for i in 1 .. array_length(old_style, 1) loop
        v := regexp_replace(v, old_style[i] || '\M', new_style[i], 'g');
    end loop;
    return v;
end;
$$;

-- A name in comparable form: NFC, single-spaced, lower case, new tone placement.
create or replace function util.name_normalized(value text)
returns text language sql immutable parallel safe as $$
    select util.new_tone_style(lower(util.clean_text(value)))
$$;

-- The same without diacritics (đ -> d): equal for "Nguyễn Văn Hòa" and "NGUYEN VAN HOA".
create or replace function util.name_key(value text)
returns text language sql immutable parallel safe as $$
    select public.unaccent(lower(util.clean_text(value)))
$$;

-- A name key with its words in order, so that a family name written last still matches:
-- "van an nguyen" and "nguyen van an" both give "an nguyen van". No name gives no key (not
-- an empty one, which every record without a name would share).
create or replace function util.name_match_key(name_key text)
returns text language sql immutable strict parallel safe as $$
    select array_to_string(array(
        select word from unnest(string_to_array(name_key, ' ')) as word order by word
    ), ' ')
$$;

-- A birth date as known to the day, else null: a year alone says only the year, and so does
-- 1 January, where typed date columns store a year alone.
create or replace function util.birth_day(birth_date date, known_to text)
returns date language sql immutable parallel safe as $$
    select case
        when known_to = 'day'
            and (extract(month from birth_date), extract(day from birth_date)) <> (1, 1)
            then birth_date
    end
$$;

-- The date with day and month swapped (a silent entry error), where that is a date.
create or replace function util.day_month_swapped(value date)
returns date language sql immutable parallel safe as $$
    select case when extract(day from value) <= 12 then make_date(
        extract(year from value)::integer,
        extract(day from value)::integer,
        extract(month from value)::integer
    ) end
$$;

-- Whether two identity numbers of one length are one keystroke apart: two adjacent
-- digits swapped ('transposed_digits') or one digit mistyped ('mistyped_digit'); null if
-- neither.
create or replace function util.identity_number_typo(a text, b text)
returns text language sql immutable parallel safe as $$
    select case
        when length(a) <> length(b) or a = b then null
        -- One keystroke is at most two edits: most pairs stop here, before the digits are
        -- walked one by one.
        when public.levenshtein_less_equal(a, b, 2) > 2 then null
        when (
            select count(*) from generate_series(1, length(a)) as i
            where substr(a, i, 1) <> substr(b, i, 1)
        ) = 1 then 'mistyped_digit'
        when exists (
            select from generate_series(1, length(a) - 1) as i
            where substr(a, i, 1) = substr(b, i + 1, 1) and substr(a, i + 1, 1) = substr(b, i, 1)
                and left(a, i - 1) = left(b, i - 1) and substr(a, i + 2) = substr(b, i + 2)
                and substr(a, i, 1) <> substr(a, i + 1, 1)
        ) then 'transposed_digits'
    end
$$;

-- What a 12-digit personal ID number itself says: its fourth digit is the century and sex
-- (0 male / 1 female born 1900-1999, 2 / 3 born 2000-2099), the next two the birth year.
create or replace function util.sex_of_personal_id(personal_id text)
returns text language sql immutable parallel safe as $$
    select case substr(personal_id, 4, 1)
        when '0' then 'male' when '2' then 'male' when '4' then 'male'
        when '1' then 'female' when '3' then 'female' when '5' then 'female'
    end
$$;

create or replace function util.birth_year_of_personal_id(personal_id text)
returns integer language sql immutable parallel safe as $$
    select case when substr(personal_id, 4, 1) between '0' and '5'
        then 1900 + 100 * (substr(personal_id, 4, 1)::integer / 2)
            + substr(personal_id, 5, 2)::integer
    end
$$;

-- An identity number as written, read as the number it is: ingestion's own reading
-- (ingest.identity_number: separators dropped, a lost leading zero restored), so that
-- what ingestion accepts and what staging reads are one rule. Null when unreadable. A number
-- already written as one (nine digits, or twelve with a province prefix), as most are, is
-- taken as it is without the regular expressions: the same answer, several times faster.
create or replace function util.identity_number(value text)
returns text language plpgsql immutable parallel safe as $$
begin
    if value is null then
        return null;
    end if;
    if length(value) in (9, 12) and translate(value, '0123456789', '') = ''
        and (length(value) = 9 or left(value, 3) between '001' and '096') then
        return value;
    end if;
    return ingest.identity_number(value);
end;
$$;

-- What reading an identity number took (for dq_source_values): comma-separated.
create or replace function util.identity_number_notes(value text)
returns text language sql immutable parallel safe as $$
    select case when util.identity_number(value) is not null then nullif(concat_ws(
        ',',
        case when btrim(value) !~ '^[0-9]+$' then 'separators_removed' end,
        case when length(regexp_replace(value, '[^0-9]', '', 'g')) = 11
            then 'leading_zero_restored' end
    ), '') end
$$;

-- The 12-digit personal ID number in an identity number as written, else null.
create or replace function util.personal_id_of(value text)
returns text language sql immutable parallel safe as $$
    select case when length(util.identity_number(value)) = 12 then util.identity_number(value) end
$$;

-- The 9-digit identity card (CMND) number in an identity number as written, else null.
create or replace function util.id_card_of(value text)
returns text language sql immutable parallel safe as $$
    select case when length(util.identity_number(value)) = 9 then util.identity_number(value) end
$$;

-- What a staging row set aside or normalised, as a JSON array of notes (column_name,
-- outcome, rule, raw_value, value) for dq_source_values: ``problems`` is the row's
-- _value_problems as staging.raw_rows describes them, ``normalised`` holds (column, raw
-- value, value read, comma-separated rules) four by four.
drop function if exists util.value_notes(jsonb, text[]);
create or replace function util.value_notes(problems jsonb, normalised text[])
returns jsonb language sql immutable parallel safe as $$
    select nullif(
        coalesce((
            select jsonb_agg(jsonb_build_object(
                'column_name', p.key, 'outcome', 'set_aside', 'rule', p.value ->> 'rule',
                'raw_value', p.value ->> 'raw_value', 'value', null
            ) order by p.key)
            from jsonb_each(problems) as p
        ), '[]'::jsonb)
        || coalesce((
            select jsonb_agg(jsonb_build_object(
                'column_name', normalised[i], 'outcome', 'normalised', 'rule', rule,
                'raw_value', normalised[i + 1], 'value', normalised[i + 2]
            ) order by i, rule)
            from generate_series(1, coalesce(array_length(normalised, 1), 0), 4) as i
            cross join lateral unnest(string_to_array(normalised[i + 3], ',')) as rule
        ), '[]'::jsonb),
        '[]'::jsonb
    )
$$;

-- A 10-digit enterprise (tax) code with a valid check digit, optionally -NNN for a branch.
create or replace function util.is_enterprise_code(value text)
returns boolean language sql immutable parallel safe as $$
    select coalesce(value ~ '^\d{10}(-\d{3})?$' and (
        10 - (31 * substr(value, 1, 1)::integer + 29 * substr(value, 2, 1)::integer
              + 23 * substr(value, 3, 1)::integer + 19 * substr(value, 4, 1)::integer
              + 17 * substr(value, 5, 1)::integer + 13 * substr(value, 6, 1)::integer
              + 7 * substr(value, 7, 1)::integer + 5 * substr(value, 8, 1)::integer
              + 3 * substr(value, 9, 1)::integer) % 11
    )::text = substr(value, 10, 1), false)
$$;
{% endmacro %}
