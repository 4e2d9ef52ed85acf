-- Runs inside one transaction: the partition's old lines go and its new lines
-- arrive together, so a crash leaves one or the other, never a mix. A line ends at
-- LF; the CR of a CRLF line end is not part of it (one CR, as a reader of lines
-- would drop it). LOADED_AT is UTC (SYSDATE), whatever the session's TIMEZONE.
-- {lines} is TRANSACTION_LINES, or the scratch copy `shopping-pipeline doctor` fills.
DELETE FROM {database}.RAW.{lines} WHERE PARTITION_MONTH = %(month)s;
INSERT INTO {database}.RAW.{lines} (PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, LINE, LOADED_AT)
SELECT
    %(month)s,
    SOURCE_FILE,
    LINE_NUMBER,
    IFF(ENDSWITH(LINE, '\r'), LEFT(LINE, LENGTH(LINE) - 1), LINE),
    SYSDATE()
FROM {database}.RAW.TRANSACTION_LINES_LOAD;
