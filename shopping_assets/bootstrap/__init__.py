"""Production bootstrap: the S3 bucket, the IAM role Snowflake assumes, and the Snowflake
warehouse, database, storage integration, roles, grants and service users.

`plan.build(config)` lists every step; `cli` prints it (`--dry-run`) or applies it.
AWS calls live in `aws.py` only; Snowflake statements in `sql/bootstrap/`.
"""
