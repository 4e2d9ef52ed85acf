-- Step 3: the load itself, recorded in the same transaction as its versions.
INSERT INTO {database}.STAGING.REFERENCE_LOADS
    (SOURCE, AS_OF, DATED, SOURCE_FILE, DIGEST, VALID_ROWS, OPENED, CLOSED, LOADED_AT)
VALUES (
    %(source)s, %(as_of)s::TIMESTAMP_NTZ, %(dated)s, %(source_file)s, %(digest)s,
    %(valid_rows)s, %(opened)s, %(closed)s, SYSDATE()
);
