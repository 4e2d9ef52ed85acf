-- Runs inside one transaction: readers see the old table or the new one, never neither.
-- SOURCE_FILE is the object's key in the bucket; LOADED_AT is UTC (SYSDATE), whatever
-- the session's TIMEZONE.
DELETE FROM {database}.RAW.{table};
INSERT INTO {database}.RAW.{table} ({columns}, SOURCE_FILE, LOADED_AT)
SELECT {columns}, %(source_file)s, SYSDATE() FROM {database}.RAW.{table}_LOAD;
