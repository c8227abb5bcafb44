{#-
  Helpers the staging models need and PostgreSQL lacks. Parsing returns null on bad input
  instead of failing the whole build: ingestion already quarantined rows that break their
  table's contract, so these only meet valid values and the occasional oddity.
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

-- Trimmed, single-spaced, NFC text.
create or replace function util.clean_text(value text)
returns text language sql immutable parallel safe as $$
    select nullif(regexp_replace(normalize(btrim(value), nfc), '\s+', ' ', 'g'), '')
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
-- "van an nguyen" and "nguyen van an" both give "an nguyen van".
create or replace function util.name_match_key(name_key text)
returns text language sql immutable parallel safe as $$
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

-- Digits of an identity number as written ("080 123 456 789", "080-123-456-789").
create or replace function util.id_digits(value text)
returns text language sql immutable parallel safe as $$
    select nullif(regexp_replace(value, '[^0-9]', '', 'g'), '')
$$;

-- The valid 12-digit personal ID number in an identity number as written, else null.
create or replace function util.personal_id_of(value text)
returns text language plpgsql immutable parallel safe as $$
declare
    digits text := regexp_replace(value, '[^0-9]', '', 'g');
begin
    if length(digits) = 12 and substr(digits, 1, 3)::integer between 1 and 96 then
        return digits;
    end if;
    return null;
end;
$$;

-- The 9-digit identity card (CMND) number in an identity number as written, else null.
create or replace function util.id_card_of(value text)
returns text language plpgsql immutable parallel safe as $$
declare
    digits text := regexp_replace(value, '[^0-9]', '', 'g');
begin
    return case when length(digits) = 9 then digits end;
end;
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
