-- The weekly summary, as a data scientist reads it (the pipeline writes it from pandas).
SELECT PERIOD_START, ISO_WEEK, CUSTOMERS, PRODUCTS, PURCHASES, PURCHASES_PER_CUSTOMER
FROM {database}.MART.WEEKLY_SUMMARY
ORDER BY PERIOD_START;
