-- What a data scientist asks first: everything one customer bought, most bought first.
SELECT *
FROM {database}.MART.PURCHASE_COUNTS
WHERE CUSTOMER_ID = %(customer_id)s
ORDER BY PURCHASE_COUNT DESC, PRODUCT_ID;
