-- A service user for one role: key-pair authentication only (TYPE = SERVICE has no
-- password, and Snowflake refuses password-only logins under its MFA enforcement).
-- Rerunning sets the configured public key, role and warehouse on a user that already
-- exists. A key is rotated without downtime through the second key slot
-- (sql/bootstrap/10_service_user_second_key.sql): both keys log in while clients move.
CREATE USER IF NOT EXISTS {user}
    TYPE = SERVICE
    RSA_PUBLIC_KEY = %(public_key)s
    DEFAULT_ROLE = {role}
    DEFAULT_WAREHOUSE = {warehouse}
    COMMENT = 'shopping-pipeline service user';
ALTER USER {user} SET
    RSA_PUBLIC_KEY = %(public_key)s
    DEFAULT_ROLE = {role}
    DEFAULT_WAREHOUSE = {warehouse};
GRANT ROLE {role} TO USER {user};
