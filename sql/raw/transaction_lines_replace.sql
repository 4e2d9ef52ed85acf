-- Runs inside one transaction: the months' old lines go and their new lines arrive
-- together, so a crash leaves one or the other, never a mix. PARTITION_MONTH is the
-- month of the folder a file was listed from: its key is ...transactions/YYYY/MM/...,
-- with YYYY/MM starting at character %(month_at)s. A line ends at LF; the CR of a
-- CRLF line end is not part of it (one CR, as a reader of lines would drop it). A key not
-- of that form gives a NULL month, which the NOT NULL column refuses.
-- LOADED_AT is UTC (SYSDATE), whatever the session's TIMEZONE.
-- {lines} is TRANSACTION_LINES, or the scratch copy `shopping-pipeline doctor` fills.
DELETE FROM {database}.RAW.{lines} WHERE PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s;
INSERT INTO {database}.RAW.{lines} (PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, LINE, LOADED_AT)
SELECT
    TRY_TO_DATE(REPLACE(SUBSTR(SOURCE_FILE, %(month_at)s, 7), '/', '-') || '-01'),
    SOURCE_FILE,
    LINE_NUMBER,
    IFF(ENDSWITH(LINE, '\r'), LEFT(LINE, LENGTH(LINE) - 1), LINE),
    SYSDATE()
FROM {database}.RAW.TRANSACTION_LINES_LOAD;
