{#-
  Helpers the staging models need and PostgreSQL lacks: parsing that returns null on bad
  input instead of failing the whole build (bad rows are flagged, not fatal).
-#}
{% macro create_util_functions() %}
create schema if not exists util;

create or replace function util.try_date(value text, format text)
returns date language plpgsql immutable parallel safe as $$
begin
    if value is null or btrim(value) = '' then
        return null;
    end if;
    return to_date(btrim(value), format);
exception when others then
    return null;
end;
$$;

create or replace function util.try_timestamp(value text)
returns timestamp language plpgsql immutable parallel safe as $$
begin
    return nullif(btrim(value), '')::timestamp;
exception when others then
    return null;
end;
$$;

create or replace function util.try_numeric(value text)
returns numeric language plpgsql immutable parallel safe as $$
begin
    return nullif(btrim(value), '')::numeric;
exception when others then
    return null;
end;
$$;

create or replace function util.name_key(value text)
returns text language sql immutable parallel safe as $$
    select nullif(
        regexp_replace(lower(public.unaccent(normalize(btrim(value), nfc))), '\s+', ' ', 'g'),
        ''
    )
$$;
{% endmacro %}
