-- One row per basket line of the months' valid transactions (REASON IS NULL in
-- TRANSACTION_LINE_CHECKS; the basket lines were flattened there). Runs inside one
-- transaction with the quarantine's replacement, so loaded + quarantined always
-- equals each month's raw lines.
DELETE FROM {database}.STAGING.TRANSACTION_ITEMS WHERE PARTITION_MONTH BETWEEN %(first_month)s AND %(last_month)s;
INSERT INTO {database}.STAGING.TRANSACTION_ITEMS
    (PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, ITEM_INDEX, CUSTOMER_ID, PRODUCT_ID, PRICE, PURCHASED_AT)
SELECT
    t.PARTITION_MONTH,
    t.SOURCE_FILE,
    t.LINE_NUMBER,
    i.ITEM_INDEX,
    t.CUSTOMER_ID,
    i.PRODUCT_ID,
    TRY_TO_NUMBER(i.PRICE_TEXT),  -- TRY_: the join, not a filter, keeps bad prices out
    t.PURCHASED_AT
FROM {database}.STAGING.TRANSACTION_LINE_CHECKS AS t
JOIN {database}.STAGING.TRANSACTION_BASKET_ITEMS AS i ON i.SOURCE_FILE = t.SOURCE_FILE AND i.LINE_NUMBER = t.LINE_NUMBER
WHERE t.REASON IS NULL;
