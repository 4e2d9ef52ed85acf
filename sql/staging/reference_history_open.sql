-- Step 2: opens a version, as of this load, for every row of the file that has no current
-- version as it is: a new id, a changed row (its old version closed in step 1), an id back
-- after a soft delete. A reload of an unchanged file opens nothing.
INSERT INTO {database}.STAGING.{history} ({columns}, VALID_FROM, VALID_TO, IS_CURRENT, SOURCE_FILE, LOADED_AT)
SELECT {columns}, %(as_of)s::TIMESTAMP_NTZ, NULL, TRUE, %(source_file)s, SYSDATE()
FROM (
    SELECT {columns} FROM {database}.STAGING.{table}
    MINUS
    SELECT {columns} FROM {database}.STAGING.{history} WHERE IS_CURRENT
);
