-- FORCE: a reload must load the file again even though load history has seen it.
-- A malformed file (wrong column count, bad encoding) aborts with its name and line.
-- No column list: Snowflake takes one only with a transforming SELECT, and the
-- landing table's columns are the file's, in order.
COPY INTO {database}.RAW.{table}_LOAD
FROM @{database}.RAW.INPUT_STAGE
FILES = (%(files)s)
FILE_FORMAT = (FORMAT_NAME = '{database}.RAW.CSV_FORMAT')
FORCE = TRUE;
