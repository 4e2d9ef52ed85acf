-- Purchase counts per period ({period} is WEEK or MONTH), dated by date_of_purchase
-- (not by the folder a line came in). PERIOD_START is the period's first day; a
-- week starts on Monday (Snowflake's default WEEK_START = 0, ISO weeks).
-- "How many times did C1 buy P3 between two dates" is a SUM over PERIOD_START.
CREATE OR REPLACE VIEW {database}.MART.PURCHASE_COUNTS_BY_{period} AS
SELECT
    c.CUSTOMER_ID,
    c.LOYALTY_SCORE,
    p.PRODUCT_ID,
    p.PRODUCT_CATEGORY,
    DATE_TRUNC({period}, i.PURCHASED_AT)::DATE AS PERIOD_START,
    COUNT(*) AS PURCHASE_COUNT
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
JOIN {database}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID
JOIN {database}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID
GROUP BY c.CUSTOMER_ID, c.LOYALTY_SCORE, p.PRODUCT_ID, p.PRODUCT_CATEGORY, DATE_TRUNC({period}, i.PURCHASED_AT)::DATE;
