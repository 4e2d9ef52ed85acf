-- What the partition's checks compare, each counted from the table it describes
-- (not from the classification that filled them): raw lines, loaded lines (source
-- lines with basket lines in TRANSACTION_ITEMS), quarantined lines, and loaded
-- basket lines that no valid transaction could give (price not positive, or
-- purchased outside the file's day and the next).
WITH items AS (
    SELECT
        SOURCE_FILE,
        LINE_NUMBER,
        PRICE,
        PURCHASED_AT,
        TRY_TO_DATE(SUBSTR(SPLIT_PART(SOURCE_FILE, '/', -1), 1, 10)) AS FILE_DAY
    FROM {database}.STAGING.TRANSACTION_ITEMS
    WHERE PARTITION_MONTH = %(month)s
)
SELECT
    (SELECT COUNT(*) FROM {database}.RAW.TRANSACTION_LINES WHERE PARTITION_MONTH = %(month)s) AS RAW_LINES,
    (SELECT COUNT(*) FROM (SELECT DISTINCT SOURCE_FILE, LINE_NUMBER FROM items)) AS LOADED_LINES,
    (
        SELECT COUNT(*) FROM {database}.STAGING.QUARANTINE
        WHERE SOURCE = 'transactions' AND PARTITION_MONTH = %(month)s
    ) AS QUARANTINED_LINES,
    (
        SELECT COUNT(*) FROM items
        WHERE PRICE IS NULL OR PRICE <= 0 OR PURCHASED_AT IS NULL
            OR NOT COALESCE(PURCHASED_AT::DATE BETWEEN FILE_DAY AND DATEADD(day, 1, FILE_DAY), FALSE)
    ) AS INVALID_ITEMS;
