-- A service user for one role: key-pair authentication only (TYPE = SERVICE has
-- no password). Rerunning sets the current public key, role and warehouse on a
-- user that already exists (a key rotation is a rerun with the new public key).
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
