-- Bootstrap runs as an administrator: ACCOUNTADMIN for everything, or SYSADMIN
-- (objects; needs CREATE INTEGRATION granted once) and SECURITYADMIN (roles, users,
-- grants). The plan switches before each group of statements.
USE ROLE {admin_role};
