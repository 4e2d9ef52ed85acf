-- The load's time, read once under the load lock so that every row of the load carries the
-- same instant (each statement's own SYSDATE would differ) and loads are stamped in lock
-- order. UTC, whatever the session's TIMEZONE.
SELECT SYSDATE();
