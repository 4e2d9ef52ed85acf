-- The table's rows over every month (the UI's row count; Snowflake answers a bare
-- COUNT(*) from table metadata, without a scan).
SELECT COUNT(*) FROM {database}.RAW.TRANSACTION_LINES;
