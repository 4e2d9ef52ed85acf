-- Transformer: reads RAW; rewrites STAGING's rows; (re)creates MART's views, which it
-- then owns, and rewrites MART's tables through the pandas IO manager. Its CREATE
-- privileges are on MART only: CREATE VIEW for the views; CREATE TABLE, CREATE STAGE and
-- CREATE FILE FORMAT for write_pandas, whose CREATE TABLE IF NOT EXISTS asks for CREATE
-- TABLE even when bootstrap's table exists, and whose temporary stage and Parquet file
-- format (the role's own for the session) ask for theirs. Bootstrap creates STAGING's
-- tables and views, and a temporary table needs only the schema's USAGE.
GRANT USAGE ON WAREHOUSE {warehouse} TO ROLE {transformer_role};
GRANT USAGE ON DATABASE {database} TO ROLE {transformer_role};
GRANT USAGE ON SCHEMA {database}.RAW TO ROLE {transformer_role};
GRANT SELECT ON ALL TABLES IN SCHEMA {database}.RAW TO ROLE {transformer_role};
GRANT SELECT ON FUTURE TABLES IN SCHEMA {database}.RAW TO ROLE {transformer_role};
GRANT USAGE ON SCHEMA {database}.STAGING TO ROLE {transformer_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {database}.STAGING TO ROLE {transformer_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON FUTURE TABLES IN SCHEMA {database}.STAGING TO ROLE {transformer_role};
GRANT SELECT ON ALL VIEWS IN SCHEMA {database}.STAGING TO ROLE {transformer_role};
GRANT SELECT ON FUTURE VIEWS IN SCHEMA {database}.STAGING TO ROLE {transformer_role};
GRANT USAGE, CREATE VIEW, CREATE TABLE, CREATE STAGE, CREATE FILE FORMAT ON SCHEMA {database}.MART TO ROLE {transformer_role};
GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA {database}.MART TO ROLE {transformer_role};
GRANT SELECT, INSERT, DELETE ON FUTURE TABLES IN SCHEMA {database}.MART TO ROLE {transformer_role};
GRANT SELECT ON ALL VIEWS IN SCHEMA {database}.MART TO ROLE {transformer_role};
GRANT SELECT ON FUTURE VIEWS IN SCHEMA {database}.MART TO ROLE {transformer_role};
