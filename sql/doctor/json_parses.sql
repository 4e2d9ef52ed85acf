-- Whether Snowflake's own parser takes a line (the classification adds a strictness rule).
SELECT TRY_PARSE_JSON(%(line)s) IS NOT NULL;
