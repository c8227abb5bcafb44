-- Revision 0007: the data-quality issues and their status changes flow through the change
-- feed (entity type data_quality_issue), and an agency's acknowledgement is one function
-- that the CLI and the API both call. A new kind of issue: a value of an agency's record
-- that kho could not use (set aside at ingestion), with the rule it breaks.
alter table changes.quality_issues add column rule text;
alter table changes.quality_issues drop constraint quality_issues_kind_check;
alter table changes.quality_issues add constraint quality_issues_kind_check
    check (kind in ('person_conflict', 'deceased_still_active', 'mistyped_identity_number',
                    'invalid_source_value'));

alter table changes.events drop constraint events_entity_type_check;
alter table changes.events add constraint events_entity_type_check check (entity_type in (
    'person', 'organization', 'land_parcel', 'admin_unit', 'land_right', 'enterprise_role',
    'employment', 'data_quality_issue'));

-- An issue as the feed carries it: named as the API's DataQualityIssue fields. Not
-- last_seen_at: it moves at every publication and would make an event of every issue.
create function changes.quality_issue_attributes(i changes.quality_issues) returns jsonb
language sql immutable as $$
    select jsonb_build_object(
        'kind', i.kind, 'status', i.status, 'statusChangedAt', i.status_changed_at,
        'sourceSystem', i.source_system, 'sourceTable', i.source_table,
        'sourceRecordKey', i.source_record_key, 'personId', i.person_id,
        'attribute', i.attribute, 'rule', i.rule, 'sourceValue', i.source_value,
        'masterValue', i.master_value, 'masterSourceSystem', i.master_source_system,
        'acknowledgedBy', i.acknowledged_by, 'firstSeenAt', i.first_seen_at)
$$;

-- Every new issue is a created event, every change of what the feed carries an updated
-- one, written in the transaction that makes it. The cursor is drawn under the feed's
-- lock (pipelines/dbt/changes.py LOCK_ID), as a publication's events are, so cursors
-- become visible in order. A publication says which it is in kho.publication_id; a change
-- between publications (an acknowledgement) belongs to the publication then served.
create function changes.record_quality_issue_event() returns trigger
language plpgsql as $$
declare
    new_values jsonb := changes.quality_issue_attributes(new);
    old_values jsonb := '{}';
    changed text[] := '{}';
begin
    if tg_op = 'UPDATE' then
        old_values := changes.quality_issue_attributes(old);
        changed := array(select e.key from jsonb_each(new_values) as e
                         where e.value is distinct from old_values -> e.key order by e.key);
        if cardinality(changed) = 0 then
            return null;
        end if;
    end if;
    perform pg_advisory_xact_lock(1802006339);
    insert into changes.events (publication_id, entity_type, master_id, kind,
                                changed_attributes, payload, previous, person_id, datasets)
    values (
        coalesce(nullif(current_setting('kho.publication_id', true), '')::bigint,
                 (select max(publication_id) from kho_meta.publications)),
        'data_quality_issue', new.issue_id,
        case tg_op when 'INSERT' then 'created' else 'updated' end, changed,
        case tg_op when 'INSERT' then new_values
            else (select jsonb_object_agg(k, new_values -> k) from unnest(changed) as k) end,
        case tg_op when 'INSERT' then '{}'::jsonb
            else (select jsonb_object_agg(k, old_values -> k) from unnest(changed) as k) end,
        new.person_id, array[new.source_system]);
    return null;
end
$$;
create trigger quality_issue_events after insert or update on changes.quality_issues
    for each row execute function changes.record_quality_issue_event();

-- An agency's acknowledgement: the feed's lock first (a publication holds it while it
-- writes; waiting for it before the row's lock cannot deadlock with one), then the status.
-- Returns the issue as it now is, or nothing when it was not open or reopened. Runs as its
-- owner, so the API's role needs no write on the table, only this function.
create function changes.acknowledge_issue(p_issue_id text, p_by text, p_note text)
returns setof changes.quality_issues
language plpgsql security definer set search_path = pg_catalog, pg_temp
set lock_timeout = '3s' as $$
begin
    perform pg_advisory_xact_lock(1802006339);
    return query
        update changes.quality_issues
        set status = 'acknowledged', status_changed_at = now(), acknowledged_by = p_by,
            note = p_note
        where issue_id = p_issue_id and status in ('open', 'reopened')
        returning *;
end
$$;
revoke all on function changes.acknowledge_issue(text, text, text) from public;
