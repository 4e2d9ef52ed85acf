-- A table's size, the UI's dagster/size_bytes: what Snowflake's INFORMATION_SCHEMA.TABLES
-- gives as BYTES, the bytes a scan of the table reads (NULL for a view).
SELECT BYTES
FROM {database}.INFORMATION_SCHEMA.TABLES
WHERE TABLE_SCHEMA = %(schema)s AND TABLE_NAME = %(table)s;
