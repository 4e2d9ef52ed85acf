-- Whole history: the period view's rows and periods, and how many (customer, product)
-- pairs its counts, summed over periods, disagree with MART.PURCHASE_COUNTS on.
-- One statement, so the period view is aggregated once for all three.
WITH p AS (
    SELECT CUSTOMER_ID, PRODUCT_ID, PERIOD_START, PURCHASE_COUNT
    FROM {database}.MART.PURCHASE_COUNTS_BY_{period}
),
pairs AS (
    SELECT CUSTOMER_ID, PRODUCT_ID, SUM(PURCHASE_COUNT) AS N FROM p GROUP BY CUSTOMER_ID, PRODUCT_ID
)
SELECT
    (SELECT COUNT(*) FROM p),
    (SELECT COUNT(DISTINCT PERIOD_START) FROM p),
    (SELECT COUNT(*)
     FROM pairs
     FULL OUTER JOIN {database}.MART.PURCHASE_COUNTS AS a
         ON a.CUSTOMER_ID = pairs.CUSTOMER_ID AND a.PRODUCT_ID = pairs.PRODUCT_ID
     WHERE a.PURCHASE_COUNT IS NULL OR pairs.N IS NULL OR a.PURCHASE_COUNT <> pairs.N);
