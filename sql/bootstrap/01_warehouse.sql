-- The smallest warehouse, asleep unless a query needs it: suspended after a minute
-- idle, resumed by the next statement, and created suspended (no credits yet).
CREATE WAREHOUSE IF NOT EXISTS {warehouse} WITH
    WAREHOUSE_SIZE = XSMALL
    AUTO_SUSPEND = 60
    AUTO_RESUME = TRUE
    INITIALLY_SUSPENDED = TRUE
    COMMENT = 'shopping-pipeline';
