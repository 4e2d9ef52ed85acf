-- Every option the loads rely on is spelled out, so an account's defaults (or a later
-- change to them) cannot change what a file loads as. CREATE OR ALTER brings a format
-- that an earlier bootstrap created up to date; CREATE ... IF NOT EXISTS never would.

-- Reference CSVs: quoted fields may hold commas and doubled quotes, and a backslash is
-- an ordinary character. Every column lands as text and is typed in STAGING.
CREATE OR ALTER FILE FORMAT {database}.RAW.CSV_FORMAT
    TYPE = CSV
    FIELD_DELIMITER = ','
    RECORD_DELIMITER = '\n'
    SKIP_HEADER = 1
    FIELD_OPTIONALLY_ENCLOSED_BY = '"'
    ESCAPE = NONE
    ESCAPE_UNENCLOSED_FIELD = NONE
    NULL_IF = ()
    EMPTY_FIELD_AS_NULL = TRUE
    TRIM_SPACE = FALSE
    -- a blank line or a row of the wrong width fails the load, as shopping_assets
    -- refuses such a file before upload
    SKIP_BLANK_LINES = FALSE
    SKIP_BYTE_ORDER_MARK = TRUE
    ENCODING = 'UTF8'
    REPLACE_INVALID_CHARACTERS = FALSE
    ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE;

-- Transactions: one row per input line, untouched (no delimiter, no quoting, no escape,
-- nothing read as NULL), so that a malformed line is kept and later quarantined instead
-- of failing the file. A blank line is a line too: it lands, and is quarantined as
-- empty_line. The CR of a CRLF line end is removed in sql/raw/transaction_lines_replace.sql.
CREATE OR ALTER FILE FORMAT {database}.RAW.LINE_FORMAT
    TYPE = CSV
    FIELD_DELIMITER = NONE
    RECORD_DELIMITER = '\n'
    SKIP_HEADER = 0
    FIELD_OPTIONALLY_ENCLOSED_BY = NONE
    ESCAPE = NONE
    ESCAPE_UNENCLOSED_FIELD = NONE
    NULL_IF = ()
    EMPTY_FIELD_AS_NULL = FALSE
    TRIM_SPACE = FALSE
    SKIP_BLANK_LINES = FALSE
    SKIP_BYTE_ORDER_MARK = TRUE
    ENCODING = 'UTF8'
    REPLACE_INVALID_CHARACTERS = FALSE;
