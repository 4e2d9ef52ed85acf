-- Inside the history's transaction only: a dated snapshot (in the session's {table}_LOAD)
-- takes the current file's place in RAW.{table}, so that STAGING's checks and typed views
-- judge its rows by exactly the rules the current file is judged by.
-- raw/reference_snapshot_restore.sql puts the current rows back before the commit, so no
-- other session ever sees the snapshot there.
INSERT INTO {database}.RAW.{table}_KEPT SELECT * FROM {database}.RAW.{table};
DELETE FROM {database}.RAW.{table};
INSERT INTO {database}.RAW.{table} ({columns}, SOURCE_FILE, LOADED_AT)
SELECT {columns}, %(source_file)s, SYSDATE() FROM {database}.RAW.{table}_LOAD;
