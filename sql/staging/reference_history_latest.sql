-- The date the latest load of a reference file ({source}: customers or products) described:
-- a load may not describe an earlier one (history only moves forward).
SELECT MAX(AS_OF)
FROM {database}.STAGING.REFERENCE_LOADS
WHERE SOURCE = %(source)s;
