-- Three least-privilege roles, and the pipeline's role made of the first two
-- (the pipeline loads and transforms in one session). Custom roles roll up to
-- SYSADMIN, as Snowflake recommends, so administrators keep control of them.
CREATE ROLE IF NOT EXISTS {loader_role} COMMENT = 'shopping-pipeline: loads files into RAW';
CREATE ROLE IF NOT EXISTS {transformer_role} COMMENT = 'shopping-pipeline: builds STAGING and MART from RAW';
CREATE ROLE IF NOT EXISTS {reader_role} COMMENT = 'shopping-pipeline: reads MART';
CREATE ROLE IF NOT EXISTS {pipeline_role} COMMENT = 'shopping-pipeline: loader and transformer';
GRANT ROLE {loader_role} TO ROLE {pipeline_role};
GRANT ROLE {transformer_role} TO ROLE {pipeline_role};
GRANT ROLE {pipeline_role} TO ROLE SYSADMIN;
GRANT ROLE {reader_role} TO ROLE SYSADMIN;
