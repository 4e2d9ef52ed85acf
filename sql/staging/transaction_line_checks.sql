-- Classifies each raw line of the months (a range of partitions) once: REASON is
-- the first rule it breaks, or NULL for a line to load. Both the load and the
-- quarantine read the result, so every line lands in exactly one of them.
-- Session-temporary tables in STAGING (they need only the schema's USAGE): DDL
-- commits in Snowflake, so they are built before the replacing transaction. Each
-- line is parsed once, and each basket flattened once (the load reuses it). {lines}
-- is TRANSACTION_LINES, or the scratch copy `shopping-pipeline doctor` classifies.
-- Snowflake may evaluate an expression before the condition that guards it, so
-- every cast a bad value can reach is TRY_. A duplicate is a line seen earlier in
-- the same month.

-- 1. The fields every rule reads, taken out of the parsed line.
CREATE OR REPLACE TEMPORARY TABLE {database}.STAGING.TRANSACTION_LINE_FIELDS AS
SELECT
    PARTITION_MONTH,
    SOURCE_FILE,
    LINE_NUMBER,
    -- nothing but spaces: TRIM(LINE) = '', which costs the emulator a third of this statement
    LINE IS NULL OR REGEXP_LIKE(LINE, ' *') AS IS_BLANK,
    -- Strict JSON (RFC 8259) on every deployment: Snowflake's parser also takes trailing
    -- commas, NaN, Infinity and upper-case TRUE/FALSE, DuckDB's trailing commas and NaN.
    -- Outside its strings (escapes dropped first) a strict document holds only
    -- punctuation, numbers and true, false or null, and no comma before a bracket.
    DOC IS NOT NULL AND NOT REGEXP_LIKE(
        REGEXP_REPLACE(
            REGEXP_REPLACE(REPLACE(REPLACE(LINE, '\\\\', ''), '\\"', ''), '"[^"]*"', '0'),
            'true|false|null', '0'
        ),
        '.*([^][{}:,0-9eE+. \t-]|,[ \t]*[]}]).*'
    ) AS IS_JSON,
    LEFT(TO_JSON(DOC), 1) = '{' AS IS_OBJECT,
    DOC:customer_id AS CUSTOMER,
    DOC:customer_id::VARCHAR AS CUSTOMER_ID,
    DOC:basket AS BASKET,
    DOC:date_of_purchase::VARCHAR AS PURCHASED_TEXT,
    -- the folder's day, from the key .../transactions/YYYY/MM/YYYY-MM-DD.json (NULL for
    -- any other name: then every date is out of its window)
    TRY_TO_DATE(SUBSTR(SPLIT_PART(SOURCE_FILE, '/', -1), 1, 10)) AS FILE_DAY,
    COPY_NUMBER
FROM (
    SELECT
        PARTITION_MONTH,
        SOURCE_FILE,
        LINE_NUMBER,
        LINE,
        TRY_PARSE_JSON(LINE) AS DOC,
        ROW_NUMBER() OVER (PARTITION BY PARTITION_MONTH, LINE ORDER BY SOURCE_FILE, LINE_NUMBER) AS COPY_NUMBER
    FROM {database}.RAW.{lines}
    WHERE PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s
);

-- 2. Every basket line of every line whose basket is a list, with the first rule
--    it breaks (numbered, so that MIN picks a transaction's first bad item).
CREATE OR REPLACE TEMPORARY TABLE {database}.STAGING.TRANSACTION_BASKET_ITEMS AS
SELECT
    SOURCE_FILE,
    LINE_NUMBER,
    ITEM_INDEX,
    PRODUCT_ID,
    PRICE_TEXT,
    CASE
        WHEN LEFT(TO_JSON(ITEM), 1) <> '{' THEN '1 item_not_object'
        WHEN NOT COALESCE(REGEXP_LIKE(TO_JSON(PRODUCT), '"[^"]+"'), FALSE) THEN '2 missing_product_id'
        WHEN PRICE_TEXT IS NULL OR PRICE_TEXT = 'null' THEN '3 price_missing'
        -- past 38 digits no NUMBER holds it (Snowflake's JSON keeps it as a float)
        WHEN NOT REGEXP_LIKE(PRICE_TEXT, '-?[0-9]{1,38}') THEN '4 price_not_integer'
        WHEN TRY_TO_NUMBER(PRICE_TEXT) <= 0 THEN '5 price_not_positive'
    END AS ITEM_REASON
FROM (
    SELECT
        f.SOURCE_FILE,
        f.LINE_NUMBER,
        item.index AS ITEM_INDEX,
        item.value AS ITEM,
        item.value:product_id AS PRODUCT,
        item.value:product_id::VARCHAR AS PRODUCT_ID,
        TO_JSON(item.value:price) AS PRICE_TEXT
    FROM {database}.STAGING.TRANSACTION_LINE_FIELDS AS f,
        LATERAL FLATTEN(input => f.BASKET) AS item
    WHERE IS_ARRAY(f.BASKET)
);

-- 3. Each line's verdict, with the typed fields the load needs.
CREATE OR REPLACE TEMPORARY TABLE {database}.STAGING.TRANSACTION_LINE_CHECKS AS
WITH dated AS (
    SELECT
        *,
        CASE
            WHEN REGEXP_LIKE(
                    PURCHASED_TEXT,
                    '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?'
                )
                AND TRY_TO_NUMBER(SUBSTR(PURCHASED_TEXT, 9, 2)) <= DAY(LAST_DAY(TRY_TO_DATE(SUBSTR(PURCHASED_TEXT, 1, 7) || '-01')))
            THEN TRY_CAST(PURCHASED_TEXT AS TIMESTAMP_NTZ)
        END AS PURCHASED_AT
    FROM {database}.STAGING.TRANSACTION_LINE_FIELDS
),
bad_items AS (
    SELECT SOURCE_FILE, LINE_NUMBER, MIN(ITEM_REASON) AS ITEM_REASON
    FROM {database}.STAGING.TRANSACTION_BASKET_ITEMS
    WHERE ITEM_REASON IS NOT NULL
    GROUP BY SOURCE_FILE, LINE_NUMBER
)
SELECT
    d.PARTITION_MONTH,
    d.SOURCE_FILE,
    d.LINE_NUMBER,
    d.CUSTOMER_ID,
    d.PURCHASED_AT,
    CASE
        WHEN d.IS_BLANK THEN 'empty_line'
        WHEN NOT d.IS_JSON THEN 'malformed_json'
        WHEN NOT d.IS_OBJECT THEN 'not_an_object'
        WHEN NOT COALESCE(REGEXP_LIKE(TO_JSON(d.CUSTOMER), '"[^"]+"'), FALSE) THEN 'missing_customer_id'
        WHEN d.BASKET IS NULL OR TO_JSON(d.BASKET) = 'null' THEN 'missing_basket'
        WHEN NOT IS_ARRAY(d.BASKET) THEN 'basket_not_list'
        WHEN ARRAY_SIZE(d.BASKET) = 0 THEN 'empty_basket'
        WHEN d.PURCHASED_TEXT IS NULL THEN 'date_missing'
        WHEN d.PURCHASED_AT IS NULL THEN 'date_unparseable'
        -- a purchase late in the day may be stamped just past midnight: that is normal
        WHEN NOT COALESCE(d.PURCHASED_AT::DATE BETWEEN d.FILE_DAY AND DATEADD(day, 1, d.FILE_DAY), FALSE)
            THEN 'date_out_of_window'
        WHEN b.ITEM_REASON IS NOT NULL THEN SUBSTR(b.ITEM_REASON, 3)
        WHEN d.COPY_NUMBER > 1 THEN 'duplicate_line'
    END AS REASON
FROM dated AS d
LEFT JOIN bad_items AS b ON b.SOURCE_FILE = d.SOURCE_FILE AND b.LINE_NUMBER = d.LINE_NUMBER;
