-- Emulator variant of sql/raw/transaction_lines_copy.sql: the emulator cannot run
-- a COPY transformation (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER), so it reads
-- each file through SHOPPING_FILE_LINES (see shopping_assets/emulator_gaps.py),
-- which numbers the lines as Snowflake's COPY does.
INSERT INTO TRANSACTION_LINES_LOAD (SOURCE_FILE, LINE_NUMBER, LINE)
SELECT SUBSTR(SOURCE_FILE, LENGTH(%(stage_url)s) + 1), LINE_NUMBER, LINE
FROM memory.main.shopping_file_lines([%(urls)s]);
