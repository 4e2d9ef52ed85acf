-- Reader (data scientists): MART only, read only. MART's views run with their
-- owner's rights, so the reader needs nothing on STAGING or RAW.
GRANT USAGE ON WAREHOUSE {warehouse} TO ROLE {reader_role};
GRANT USAGE ON DATABASE {database} TO ROLE {reader_role};
GRANT USAGE ON SCHEMA {database}.MART TO ROLE {reader_role};
GRANT SELECT ON ALL TABLES IN SCHEMA {database}.MART TO ROLE {reader_role};
GRANT SELECT ON ALL VIEWS IN SCHEMA {database}.MART TO ROLE {reader_role};
GRANT SELECT ON FUTURE TABLES IN SCHEMA {database}.MART TO ROLE {reader_role};
GRANT SELECT ON FUTURE VIEWS IN SCHEMA {database}.MART TO ROLE {reader_role};
