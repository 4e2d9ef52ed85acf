-- One month of MART.PURCHASE_COUNTS_BY_MONTH: what the month's snapshot files hold.
-- Read through the view, so the files and the view can never define a count differently.
SELECT CUSTOMER_ID, LOYALTY_SCORE, PRODUCT_ID, PRODUCT_CATEGORY, PERIOD_START, PURCHASE_COUNT
FROM {database}.MART.PURCHASE_COUNTS_BY_MONTH
WHERE PERIOD_START = %(month)s::DATE
ORDER BY CUSTOMER_ID, PRODUCT_ID;
