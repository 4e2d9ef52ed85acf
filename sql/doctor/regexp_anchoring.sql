-- REGEXP_LIKE matches the whole text: the classification's patterns rely on it.
SELECT REGEXP_LIKE('ab', 'a'), REGEXP_LIKE('ab', 'a.*');
