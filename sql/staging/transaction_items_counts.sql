-- What each month's checks compare, each counted from the table it describes (not
-- from the classification that filled them): raw lines, loaded lines (source lines
-- with basket lines in TRANSACTION_ITEMS), quarantined lines, loaded basket lines
-- that no valid transaction could give (price not positive, or purchased outside
-- the file's day and the next), and basket lines. A month with no rows anywhere has
-- no row.
WITH raw AS (
    SELECT PARTITION_MONTH, COUNT(*) AS RAW_LINES
    FROM {database}.RAW.TRANSACTION_LINES
    WHERE PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s
    GROUP BY PARTITION_MONTH
),
items AS (
    SELECT
        PARTITION_MONTH,
        SOURCE_FILE,
        LINE_NUMBER,
        PRICE,
        PURCHASED_AT,
        TRY_TO_DATE(SUBSTR(SPLIT_PART(SOURCE_FILE, '/', -1), 1, 10)) AS FILE_DAY
    FROM {database}.STAGING.TRANSACTION_ITEMS
    WHERE PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s
),
loaded AS (
    SELECT PARTITION_MONTH, COUNT(*) AS LOADED_LINES, SUM(ITEMS) AS BASKET_LINES
    FROM (SELECT PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, COUNT(*) AS ITEMS FROM items GROUP BY 1, 2, 3)
    GROUP BY PARTITION_MONTH
),
invalid AS (
    SELECT PARTITION_MONTH, COUNT(*) AS INVALID_ITEMS
    FROM items
    WHERE PRICE IS NULL OR PRICE <= 0 OR PURCHASED_AT IS NULL
        OR NOT COALESCE(PURCHASED_AT::DATE BETWEEN FILE_DAY AND DATEADD(day, 1, FILE_DAY), FALSE)
    GROUP BY PARTITION_MONTH
),
quarantined AS (
    SELECT PARTITION_MONTH, COUNT(*) AS QUARANTINED_LINES
    FROM {database}.STAGING.QUARANTINE
    WHERE SOURCE = 'transactions' AND PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s
    GROUP BY PARTITION_MONTH
),
months AS (
    SELECT PARTITION_MONTH FROM raw
    UNION SELECT PARTITION_MONTH FROM loaded
    UNION SELECT PARTITION_MONTH FROM quarantined
)
SELECT
    m.PARTITION_MONTH,
    COALESCE(r.RAW_LINES, 0),
    COALESCE(l.LOADED_LINES, 0),
    COALESCE(q.QUARANTINED_LINES, 0),
    COALESCE(i.INVALID_ITEMS, 0),
    COALESCE(l.BASKET_LINES, 0)
FROM months AS m
LEFT JOIN raw AS r ON r.PARTITION_MONTH = m.PARTITION_MONTH
LEFT JOIN loaded AS l ON l.PARTITION_MONTH = m.PARTITION_MONTH
LEFT JOIN quarantined AS q ON q.PARTITION_MONTH = m.PARTITION_MONTH
LEFT JOIN invalid AS i ON i.PARTITION_MONTH = m.PARTITION_MONTH
ORDER BY m.PARTITION_MONTH;
