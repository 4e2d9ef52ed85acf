-- The session-private landing table of a load (a temporary table needs only the
-- schema's USAGE).
CREATE OR REPLACE TEMPORARY TABLE {database}.RAW.TRANSACTION_LINES_LOAD (
    SOURCE_FILE VARCHAR,
    LINE_NUMBER NUMBER(38, 0),
    LINE VARCHAR
);
