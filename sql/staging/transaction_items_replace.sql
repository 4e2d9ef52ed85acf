-- One row per basket line of the partition's valid transactions (REASON IS NULL in
-- TRANSACTION_LINE_CHECKS). Runs inside one transaction with the quarantine's
-- replacement, so loaded + quarantined always equals the partition's raw lines.
DELETE FROM {database}.STAGING.TRANSACTION_ITEMS WHERE PARTITION_MONTH = %(month)s;
INSERT INTO {database}.STAGING.TRANSACTION_ITEMS
    (PARTITION_MONTH, SOURCE_FILE, LINE_NUMBER, ITEM_INDEX, CUSTOMER_ID, PRODUCT_ID, PRICE, PURCHASED_AT)
SELECT
    t.PARTITION_MONTH,
    t.SOURCE_FILE,
    t.LINE_NUMBER,
    item.index,
    t.DOC:customer_id::VARCHAR,
    item.value:product_id::VARCHAR,
    TO_NUMBER(TO_JSON(item.value:price)),
    t.PURCHASED_AT
FROM TRANSACTION_LINE_CHECKS AS t,
    LATERAL FLATTEN(input => t.DOC:basket) AS item
WHERE t.REASON IS NULL;
