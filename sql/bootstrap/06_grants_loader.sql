-- Loader: RAW only. Loads, reads and deletes rows (a partition reload deletes before
-- it inserts) and updates the row of RAW.LOAD_LOCK that serialises reloads; reads the
-- bucket through the stage (and the storage integration, which COPY's usage notes ask
-- of the role that runs it). No CREATE privilege: bootstrap creates RAW's tables,
-- stage and file formats, and a temporary landing table needs only the schema's USAGE.
GRANT USAGE ON WAREHOUSE {warehouse} TO ROLE {loader_role};
GRANT USAGE ON DATABASE {database} TO ROLE {loader_role};
GRANT USAGE ON SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON ALL STAGES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON FUTURE STAGES IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON ALL FILE FORMATS IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON FUTURE FILE FORMATS IN SCHEMA {database}.RAW TO ROLE {loader_role};
GRANT USAGE ON INTEGRATION {storage_integration} TO ROLE {loader_role};
