-- Each line of each named file becomes one row, with the file and line number it
-- came from: METADATA$FILENAME is the object's key in the bucket (the stage's path
-- included), METADATA$FILE_ROW_NUMBER counts from 1. Only the partition's files are
-- named (no prefix scan; at most 1000 names a statement), and FORCE reloads them even
-- though load history has seen them.
-- The emulator's variant is sql/emulator/transaction_lines_copy.sql.
COPY INTO {database}.RAW.TRANSACTION_LINES_LOAD (SOURCE_FILE, LINE_NUMBER, LINE)
FROM (
    SELECT METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, $1
    FROM @{database}.RAW.INPUT_STAGE
)
FILES = (%(files)s)
FILE_FORMAT = (FORMAT_NAME = '{database}.RAW.LINE_FORMAT')
FORCE = TRUE;
