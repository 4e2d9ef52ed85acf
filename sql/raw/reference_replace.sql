-- Runs inside one transaction: readers see the old table or the new one, never neither.
DELETE FROM {database}.RAW.{table};
INSERT INTO {database}.RAW.{table} ({columns}, SOURCE_FILE, LOADED_AT)
SELECT {columns}, %(source_file)s, CURRENT_TIMESTAMP() FROM {table}_LOAD;
