-- The future grants of one schema (Snowflake only).
SHOW FUTURE GRANTS IN SCHEMA {database}.{schema};
