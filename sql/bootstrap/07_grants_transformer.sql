-- Transformer: reads RAW; rewrites STAGING's rows; (re)creates MART's views, which it
-- then owns. Its only CREATE privilege is CREATE VIEW on MART: bootstrap creates
-- STAGING's tables and views, and its temporary tables need only the schema's USAGE.
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
GRANT USAGE, CREATE VIEW ON SCHEMA {database}.MART TO ROLE {transformer_role};
GRANT SELECT ON ALL VIEWS IN SCHEMA {database}.MART TO ROLE {transformer_role};
GRANT SELECT ON FUTURE VIEWS IN SCHEMA {database}.MART TO ROLE {transformer_role};
