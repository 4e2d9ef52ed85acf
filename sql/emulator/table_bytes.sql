-- The emulator keeps no table sizes (its INFORMATION_SCHEMA.TABLES says 0 bytes for every
-- table), so it reports none, and a local asset shows no size rather than a wrong one.
SELECT CAST(NULL AS NUMBER) AS BYTES;
