-- Snowflake reads the bucket by assuming an IAM role: no AWS keys in Snowflake.
-- CREATE OR REPLACE would mint a new external ID and break the role's trust policy,
-- so an existing integration is altered in place instead.
CREATE STORAGE INTEGRATION IF NOT EXISTS {storage_integration}
    TYPE = EXTERNAL_STAGE
    STORAGE_PROVIDER = 'S3'
    ENABLED = TRUE
    STORAGE_AWS_ROLE_ARN = %(role_arn)s
    STORAGE_ALLOWED_LOCATIONS = (%(allowed_location)s);
ALTER STORAGE INTEGRATION {storage_integration} SET
    ENABLED = TRUE
    STORAGE_AWS_ROLE_ARN = %(role_arn)s
    STORAGE_ALLOWED_LOCATIONS = (%(allowed_location)s);
