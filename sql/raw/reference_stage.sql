-- A session-private landing table shaped like the reference table's input columns.
-- (DDL commits in Snowflake, so it happens before the replacing transaction.)
CREATE OR REPLACE TEMPORARY TABLE {table}_LOAD AS
SELECT {columns} FROM {database}.RAW.{table} WHERE 1 = 0;
