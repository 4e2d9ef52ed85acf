-- Purchase counts per period ({period} is WEEK or MONTH) with each purchase seen through the
-- loyalty score and category valid at its date_of_purchase, from STAGING's type-2 history:
-- what a model trained on the past may know, where the period views show today's values.
-- The columns and PERIOD_START are the period view's (sql/mart/purchase_counts_by_period.sql).
-- A version covers [VALID_FROM, VALID_TO); an id's first version also covers every purchase
-- before it (the reference data may start after the transactions); a purchase made while its
-- customer or product was out of the file (after a soft delete) is not counted, as the
-- period views do not count unknown ids. One (customer, product, period) has two rows when a
-- value changed within the period.
CREATE OR REPLACE VIEW {database}.MART.PURCHASE_COUNTS_BY_{period}_AS_PURCHASED COPY GRANTS AS
WITH customers AS (
    SELECT
        CUSTOMER_ID,
        LOYALTY_SCORE,
        CASE WHEN ROW_NUMBER() OVER (PARTITION BY CUSTOMER_ID ORDER BY VALID_FROM) = 1
            THEN '0001-01-01 00:00:00'::TIMESTAMP_NTZ ELSE VALID_FROM END AS STARTS,
        COALESCE(VALID_TO, '9999-12-31 00:00:00'::TIMESTAMP_NTZ) AS ENDS
    FROM {database}.STAGING.CUSTOMERS_HISTORY
),
products AS (
    SELECT
        PRODUCT_ID,
        PRODUCT_CATEGORY,
        CASE WHEN ROW_NUMBER() OVER (PARTITION BY PRODUCT_ID ORDER BY VALID_FROM) = 1
            THEN '0001-01-01 00:00:00'::TIMESTAMP_NTZ ELSE VALID_FROM END AS STARTS,
        COALESCE(VALID_TO, '9999-12-31 00:00:00'::TIMESTAMP_NTZ) AS ENDS
    FROM {database}.STAGING.PRODUCTS_HISTORY
)
SELECT
    c.CUSTOMER_ID,
    c.LOYALTY_SCORE,
    p.PRODUCT_ID,
    p.PRODUCT_CATEGORY,
    DATEADD(day, 1 - {day_of_period}(i.PURCHASED_AT), i.PURCHASED_AT::DATE) AS PERIOD_START,
    COUNT(*) AS PURCHASE_COUNT
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
JOIN customers AS c
    ON c.CUSTOMER_ID = i.CUSTOMER_ID AND i.PURCHASED_AT >= c.STARTS AND i.PURCHASED_AT < c.ENDS
JOIN products AS p
    ON p.PRODUCT_ID = i.PRODUCT_ID AND i.PURCHASED_AT >= p.STARTS AND i.PURCHASED_AT < p.ENDS
GROUP BY c.CUSTOMER_ID, c.LOYALTY_SCORE, p.PRODUCT_ID, p.PRODUCT_CATEGORY, PERIOD_START;
