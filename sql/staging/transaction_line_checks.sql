-- Classifies each of the partition's raw lines once: REASON is the first rule it
-- breaks, or NULL for a line to load. Both the load and the quarantine read this,
-- so every line lands in exactly one of them. (A session-temporary table: DDL
-- commits in Snowflake, so it is built before the replacing transaction.)
CREATE OR REPLACE TEMPORARY TABLE TRANSACTION_LINE_CHECKS AS
WITH lines AS (
    SELECT
        PARTITION_MONTH,
        SOURCE_FILE,
        LINE_NUMBER,
        LINE,
        TRY_PARSE_JSON(LINE) AS DOC,
        -- the folder's day, from the stage key transactions/YYYY/MM/YYYY-MM-DD.json
        TO_DATE(SUBSTR(SPLIT_PART(SOURCE_FILE, '/', -1), 1, 10)) AS FILE_DAY,
        ROW_NUMBER() OVER (PARTITION BY LINE ORDER BY SOURCE_FILE, LINE_NUMBER) AS COPY_NUMBER
    FROM {database}.RAW.TRANSACTION_LINES
    WHERE PARTITION_MONTH = %(month)s
),
fields AS (
    SELECT
        *,
        DOC:date_of_purchase::VARCHAR AS PURCHASED_TEXT,
        REGEXP_LIKE(
            DOC:date_of_purchase::VARCHAR,
            '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?'
        ) AS DATE_SHAPED
    FROM lines
),
dated AS (
    SELECT
        *,
        CASE
            WHEN DATE_SHAPED
                AND TO_NUMBER(SUBSTR(PURCHASED_TEXT, 9, 2)) <= DAY(LAST_DAY(TO_DATE(SUBSTR(PURCHASED_TEXT, 1, 7) || '-01')))
            THEN PURCHASED_TEXT::TIMESTAMP_NTZ
        END AS PURCHASED_AT
    FROM fields
),
bad_items AS (
    -- the first malformed basket line of each transaction, if any
    SELECT
        d.SOURCE_FILE,
        d.LINE_NUMBER,
        MIN(
            CASE
                WHEN LEFT(TO_JSON(item.value), 1) <> '{' THEN '1 item_not_object'
                WHEN NOT COALESCE(REGEXP_LIKE(TO_JSON(item.value:product_id), '"[^"]+"'), FALSE) THEN '2 missing_product_id'
                WHEN item.value:price IS NULL OR TO_JSON(item.value:price) = 'null' THEN '3 price_missing'
                WHEN NOT REGEXP_LIKE(TO_JSON(item.value:price), '-?[0-9]+') THEN '4 price_not_integer'
                WHEN TO_NUMBER(TO_JSON(item.value:price)) <= 0 THEN '5 price_not_positive'
            END
        ) AS ITEM_REASON
    FROM dated AS d,
        LATERAL FLATTEN(input => d.DOC:basket) AS item
    WHERE IS_ARRAY(d.DOC:basket)
    GROUP BY d.SOURCE_FILE, d.LINE_NUMBER
)
SELECT
    d.PARTITION_MONTH,
    d.SOURCE_FILE,
    d.LINE_NUMBER,
    d.LINE,
    d.DOC,
    d.PURCHASED_AT,
    CASE
        WHEN d.LINE IS NULL OR TRIM(d.LINE) = '' THEN 'empty_line'
        WHEN d.DOC IS NULL THEN 'malformed_json'
        WHEN LEFT(TO_JSON(d.DOC), 1) <> '{' THEN 'not_an_object'
        WHEN NOT COALESCE(REGEXP_LIKE(TO_JSON(d.DOC:customer_id), '"[^"]+"'), FALSE) THEN 'missing_customer_id'
        WHEN d.DOC:basket IS NULL OR TO_JSON(d.DOC:basket) = 'null' THEN 'missing_basket'
        WHEN NOT IS_ARRAY(d.DOC:basket) THEN 'basket_not_list'
        WHEN ARRAY_SIZE(d.DOC:basket) = 0 THEN 'empty_basket'
        WHEN d.PURCHASED_TEXT IS NULL THEN 'date_missing'
        WHEN d.PURCHASED_AT IS NULL THEN 'date_unparseable'
        -- a purchase late in the day may be stamped just past midnight: that is normal
        WHEN d.PURCHASED_AT::DATE NOT BETWEEN d.FILE_DAY AND DATEADD(day, 1, d.FILE_DAY) THEN 'date_out_of_window'
        WHEN b.ITEM_REASON IS NOT NULL THEN SUBSTR(b.ITEM_REASON, 3)
        WHEN d.COPY_NUMBER > 1 THEN 'duplicate_line'
    END AS REASON
FROM dated AS d
LEFT JOIN bad_items AS b ON b.SOURCE_FILE = d.SOURCE_FILE AND b.LINE_NUMBER = d.LINE_NUMBER;
