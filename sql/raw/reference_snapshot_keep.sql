-- A session-private copy of RAW.{table}'s rows, to put back after a dated snapshot has stood
-- in its place (raw/reference_snapshot_swap.sql). Created empty: DDL commits in Snowflake,
-- so it happens before the transaction, which fills it.
CREATE OR REPLACE TEMPORARY TABLE {database}.RAW.{table}_KEPT AS
SELECT * FROM {database}.RAW.{table} WHERE 1 = 0;
