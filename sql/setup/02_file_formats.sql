-- Reference CSVs: quoted fields may hold commas and doubled quotes; CRLF is
-- accepted as a line end. Every column lands as text and is typed in STAGING.
CREATE FILE FORMAT IF NOT EXISTS {database}.RAW.CSV_FORMAT
    TYPE = CSV
    SKIP_HEADER = 1
    FIELD_OPTIONALLY_ENCLOSED_BY = '"';

-- Transactions: one row per input line, untouched, so that a malformed line is
-- kept (and later quarantined) instead of failing the whole file.
CREATE FILE FORMAT IF NOT EXISTS {database}.RAW.LINE_FORMAT
    TYPE = CSV
    FIELD_DELIMITER = NONE
    ESCAPE_UNENCLOSED_FIELD = NONE
    FIELD_OPTIONALLY_ENCLOSED_BY = NONE;
