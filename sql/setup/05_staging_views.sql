-- Reference rows with the first rule they break (REASON), or NULL when valid.
-- Exact duplicate rows keep their first copy; an id whose copies disagree is
-- ambiguous, so every copy of it is quarantined. Copies agree when their scores
-- are the same number (5 and 05). A CRLF line end read with a bare LF delimiter
-- leaves a CR on a row's last field: it is not part of the value.
CREATE OR REPLACE VIEW {database}.STAGING.CUSTOMER_CHECKS COPY GRANTS AS
SELECT
    SOURCE_FILE,
    CUSTOMER_ID,
    LOYALTY_SCORE,
    CASE
        WHEN CUSTOMER_ID IS NULL OR TRIM(CUSTOMER_ID) = '' THEN 'missing_customer_id'
        -- COPY loads an empty field as NULL, which every later rule would let through
        WHEN LOYALTY_SCORE IS NULL OR TRIM(LOYALTY_SCORE) = '' THEN 'missing_loyalty_score'
        -- at most 38 digits: no NUMBER holds more (REGEXP_LIKE matches the whole text)
        WHEN NOT REGEXP_LIKE(TRIM(LOYALTY_SCORE), '[0-9]{1,38}') THEN 'loyalty_not_integer'
        -- TRY_: Snowflake may evaluate this before the rule above has filtered the row
        WHEN TRY_TO_NUMBER(TRIM(LOYALTY_SCORE)) NOT BETWEEN 1 AND 10 THEN 'loyalty_out_of_range'
        WHEN MIN(SCORE) OVER (PARTITION BY TRIM(CUSTOMER_ID))
            <> MAX(SCORE) OVER (PARTITION BY TRIM(CUSTOMER_ID)) THEN 'conflicting_duplicate_id'
        WHEN ROW_NUMBER() OVER (PARTITION BY TRIM(CUSTOMER_ID) ORDER BY LOYALTY_SCORE) > 1 THEN 'duplicate_row'
    END AS REASON
FROM (
    SELECT *, COALESCE(REGEXP_REPLACE(TRIM(LOYALTY_SCORE), '^0+', ''), '') AS SCORE
    FROM (
        SELECT
            SOURCE_FILE,
            REGEXP_REPLACE(CUSTOMER_ID, '\r$', '') AS CUSTOMER_ID,
            REGEXP_REPLACE(LOYALTY_SCORE, '\r$', '') AS LOYALTY_SCORE
        FROM {database}.RAW.CUSTOMERS
    )
);

CREATE OR REPLACE VIEW {database}.STAGING.PRODUCT_CHECKS COPY GRANTS AS
SELECT
    SOURCE_FILE,
    PRODUCT_ID,
    PRODUCT_DESCRIPTION,
    PRODUCT_CATEGORY,
    CASE
        WHEN PRODUCT_ID IS NULL OR TRIM(PRODUCT_ID) = '' THEN 'missing_product_id'
        WHEN PRODUCT_CATEGORY IS NULL OR TRIM(PRODUCT_CATEGORY) = '' THEN 'missing_category'
        WHEN MIN(COALESCE(PRODUCT_DESCRIPTION, '') || '|' || TRIM(PRODUCT_CATEGORY)) OVER (PARTITION BY TRIM(PRODUCT_ID))
            <> MAX(COALESCE(PRODUCT_DESCRIPTION, '') || '|' || TRIM(PRODUCT_CATEGORY)) OVER (PARTITION BY TRIM(PRODUCT_ID))
            THEN 'conflicting_duplicate_id'
        WHEN ROW_NUMBER() OVER (PARTITION BY TRIM(PRODUCT_ID) ORDER BY PRODUCT_DESCRIPTION) > 1 THEN 'duplicate_row'
    END AS REASON
FROM (
    SELECT
        SOURCE_FILE,
        REGEXP_REPLACE(PRODUCT_ID, '\r$', '') AS PRODUCT_ID,
        REGEXP_REPLACE(PRODUCT_DESCRIPTION, '\r$', '') AS PRODUCT_DESCRIPTION,
        REGEXP_REPLACE(PRODUCT_CATEGORY, '\r$', '') AS PRODUCT_CATEGORY
    FROM {database}.RAW.PRODUCTS
);

-- Typed, valid reference rows: what the view joins to.
CREATE OR REPLACE VIEW {database}.STAGING.CUSTOMERS COPY GRANTS AS
SELECT TRIM(CUSTOMER_ID) AS CUSTOMER_ID, TRY_TO_NUMBER(TRIM(LOYALTY_SCORE)) AS LOYALTY_SCORE
FROM {database}.STAGING.CUSTOMER_CHECKS
WHERE REASON IS NULL;

CREATE OR REPLACE VIEW {database}.STAGING.PRODUCTS COPY GRANTS AS
SELECT TRIM(PRODUCT_ID) AS PRODUCT_ID, PRODUCT_DESCRIPTION, TRIM(PRODUCT_CATEGORY) AS PRODUCT_CATEGORY
FROM {database}.STAGING.PRODUCT_CHECKS
WHERE REASON IS NULL;
