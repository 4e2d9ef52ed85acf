-- A reference table's rejected rows ({table} is CUSTOMER or PRODUCT), replaced with
-- the table in the same transaction. The row is kept as its fields joined by
-- commas; the emulator cannot number CSV rows, so no line number is recorded.
DELETE FROM {database}.STAGING.QUARANTINE WHERE SOURCE = %(source)s;
INSERT INTO {database}.STAGING.QUARANTINE
    (SOURCE, PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, LINE, REASON, QUARANTINED_AT)
SELECT %(source)s, NULL, SOURCE_FILE, NULL, ARRAY_TO_STRING(ARRAY_CONSTRUCT({columns}), ','), REASON, SYSDATE()
FROM {database}.STAGING.{checks}
WHERE REASON IS NOT NULL;
