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
