-- The privileges granted to one role (Snowflake only: the emulator has no roles).
SHOW GRANTS TO ROLE {role};
