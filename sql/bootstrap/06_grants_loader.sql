-- Loader: RAW only. Creates its tables, stage and file formats; loads, reads and
-- deletes rows (a partition reload deletes before it inserts) and updates the row of
-- RAW.LOAD_LOCK that serialises reloads; reads the bucket through the storage integration.
GRANT USAGE ON WAREHOUSE {warehouse} TO ROLE {loader_role};
GRANT USAGE ON DATABASE {database} TO ROLE {loader_role};
GRANT USAGE, CREATE TABLE, CREATE STAGE, CREATE FILE FORMAT ON SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON ALL STAGES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON FUTURE STAGES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON ALL FILE FORMATS IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON FUTURE FILE FORMATS IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON INTEGRATION {storage_integration} TO ROLE {loader_role};
