-- Emulator variant of sql/raw/transaction_lines_copy.sql: the emulator cannot run
-- a COPY transformation (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER), so it reads
-- each file whole and splits it into numbered lines. Same rows as Snowflake's:
-- the newline that ends the last line does not start another, and a CR before
-- the LF is not part of the line.
INSERT INTO TRANSACTION_LINES_LOAD (SOURCE_FILE, LINE_NUMBER, LINE)
SELECT
    SUBSTR(f.filename, LENGTH(%(stage_url)s) + 1),
    l.index + 1,
    RTRIM(l.value::VARCHAR, '\r')
FROM read_text([%(urls)s]) AS f,
    LATERAL FLATTEN(input => SPLIT(f.content, '\n')) AS l
WHERE l.index < ARRAY_SIZE(SPLIT(f.content, '\n')) - 1 OR l.value::VARCHAR <> '';
