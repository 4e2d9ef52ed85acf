-- The current file's rows back in RAW.{table}, as they were (their SOURCE_FILE and LOADED_AT
-- too), before the history's transaction commits.
DELETE FROM {database}.RAW.{table};
INSERT INTO {database}.RAW.{table} SELECT * FROM {database}.RAW.{table}_KEPT;
