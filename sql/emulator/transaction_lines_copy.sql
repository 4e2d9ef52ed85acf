-- Emulator variant of sql/raw/transaction_lines_copy.sql: the emulator cannot run
-- a COPY transformation (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER), so it reads
-- each file through SHOPPING_FILE_LINES (see shopping_assets/emulator_gaps.py),
-- which splits and numbers the lines as the production statement's LINE_FORMAT does.
-- SOURCE_FILE is the object's key in the bucket, as METADATA$FILENAME gives it.
INSERT INTO {database}.RAW.TRANSACTION_LINES_LOAD (SOURCE_FILE, LINE_NUMBER, LINE)
SELECT SUBSTR(SOURCE_FILE, LENGTH(%(bucket_url)s) + 1), LINE_NUMBER, LINE
FROM memory.main.shopping_file_lines([%(urls)s]);
