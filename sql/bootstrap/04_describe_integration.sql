-- The hand-shake: Snowflake's IAM user and the external ID it will present; the
-- IAM role's trust policy is written from these two values.
DESC INTEGRATION {storage_integration};
