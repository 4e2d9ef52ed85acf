-- Purchase counts per period ({period} is WEEK or MONTH), dated by date_of_purchase
-- (not by the folder a line came in). PERIOD_START is the period's first day: the
-- date less its day of the period ({day_of_period} is DAYOFWEEKISO or DAYOFMONTH)
-- plus one. A week starts on Monday for every reader: DATE_TRUNC(WEEK) and
-- DAYOFWEEK would follow the WEEK_START parameter of whoever queries the view.
-- "How many times did C1 buy P3 between two dates" is a SUM over PERIOD_START.
CREATE OR REPLACE VIEW {database}.MART.PURCHASE_COUNTS_BY_{period} COPY GRANTS AS
SELECT
    c.CUSTOMER_ID,
    c.LOYALTY_SCORE,
    p.PRODUCT_ID,
    p.PRODUCT_CATEGORY,
    DATEADD(day, 1 - {day_of_period}(i.PURCHASED_AT), i.PURCHASED_AT::DATE) AS PERIOD_START,
    COUNT(*) AS PURCHASE_COUNT
FROM {database}.STAGING.TRANSACTION_ITEMS AS i
JOIN {database}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID
JOIN {database}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID
GROUP BY c.CUSTOMER_ID, c.LOYALTY_SCORE, p.PRODUCT_ID, p.PRODUCT_CATEGORY, PERIOD_START;
