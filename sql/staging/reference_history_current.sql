-- The history's checks after a load, over current versions only (as many as the file has
-- rows, however long the history): all versions (a count Snowflake answers from metadata),
-- current ones, ids with more than one current version, and rows where the current versions
-- and the current file ({table}, the typed STAGING view) disagree either way.
WITH current_versions AS (
    SELECT {columns} FROM {database}.STAGING.{history} WHERE IS_CURRENT
)
SELECT
    (SELECT COUNT(*) FROM {database}.STAGING.{history}),
    (SELECT COUNT(*) FROM current_versions),
    (SELECT COUNT(*) FROM (SELECT {id_column} FROM current_versions GROUP BY {id_column} HAVING COUNT(*) > 1)),
    (SELECT COUNT(*) FROM (SELECT {columns} FROM current_versions MINUS SELECT {columns} FROM {database}.STAGING.{table})),
    (SELECT COUNT(*) FROM (SELECT {columns} FROM {database}.STAGING.{table} MINUS SELECT {columns} FROM current_versions));
