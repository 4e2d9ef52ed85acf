-- Runs inside one transaction: the partition's old lines go and its new lines
-- arrive together, so a crash leaves one or the other, never a mix.
DELETE FROM {database}.RAW.TRANSACTION_LINES WHERE PARTITION_MONTH = %(month)s;
INSERT INTO {database}.RAW.TRANSACTION_LINES (PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, LINE, LOADED_AT)
SELECT %(month)s, SOURCE_FILE, LINE_NUMBER, LINE, CURRENT_TIMESTAMP()
FROM TRANSACTION_LINES_LOAD;
