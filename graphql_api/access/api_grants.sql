-- What the API's role may do in the warehouse, granted by kho as the warehouse owner each
-- time the API is prepared (the role's name comes from the settings); the tables themselves
-- are made by the migrations (kho/migrations). {api_role} and {reader_role} are filled in
-- by graphql_api/access/clients.py.

-- The API's role: reads the published marts (as a member of the reader role), reads
-- clients, keys and grants, appends to the log and reads it (accessLog); nothing else.
grant {reader_role} to {api_role};
grant usage on schema api to {api_role};
grant select on api.installation, api.clients, api.client_grants, api.api_keys to {api_role};
grant select, insert on api.access_log to {api_role};
revoke update, delete, truncate on api.access_log from {api_role};

-- /metrics and /readyz (graphql_api/core/warehouse_state.py): per source table, how many
-- rows were loaded and are in quarantine and when the last load finished; counts and times
-- only, never a row's values or a load's error text.
grant usage on schema ingest, quarantine to {api_role};
grant select (source, table_name, status, finished_at, rows_inserted, rows_updated)
    on ingest.batches to {api_role};
grant select (source, table_name, released_at) on quarantine.rows to {api_role};

-- The change feed (changes): its events and publications, read by `changes` under the
-- caller's grants, and the data-quality issues (dataQualityIssues). Not the webhook subscriptions beside them (their signing secrets).
grant usage on schema changes to {api_role};
grant select on changes.events, changes.publications, changes.quality_issues to {api_role};
-- The API's one write: an agency acknowledges an issue (acknowledgeDataQualityIssue)
-- through changes.acknowledge_issue, which sets its status, says who and why, and writes
-- the change feed's event; the role writes no table itself.
revoke update on changes.quality_issues from {api_role};
grant execute on function changes.acknowledge_issue(text, text, text) to {api_role};
