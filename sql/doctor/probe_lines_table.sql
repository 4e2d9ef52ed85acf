-- A session-private table shaped like RAW.TRANSACTION_LINES, for the probe file's lines:
-- the production SQL loads and classifies it as it would a month, and nothing else is written.
CREATE OR REPLACE TEMPORARY TABLE {database}.RAW.{lines} AS
SELECT * FROM {database}.RAW.TRANSACTION_LINES WHERE 1 = 0;
