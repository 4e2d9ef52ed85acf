-- A session-private landing table shaped like the reference table's input columns,
-- in RAW (a temporary table needs no CREATE privilege, only the schema's USAGE).
-- DDL commits in Snowflake, so it happens before the replacing transaction.
CREATE OR REPLACE TEMPORARY TABLE {database}.RAW.{table}_LOAD AS
SELECT {columns} FROM {database}.RAW.{table} WHERE 1 = 0;
