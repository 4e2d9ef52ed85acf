-- First statement of every replacing transaction: see sql/setup/06_load_lock.sql.
UPDATE {database}.RAW.LOAD_LOCK SET TAKEN_AT = SYSDATE() WHERE NAME = 'loads';
