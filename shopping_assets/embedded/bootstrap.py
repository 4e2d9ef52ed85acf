"""The embedded deployment's bootstrap: what `shopping-pipeline bootstrap` does for
production, done to the embedded services, from the same plan steps and SQL files.

The bucket gets production's settings (public access blocked, default encryption,
versioning, lifecycle) but not the TLS-only bucket policy: the embedded S3 server
ignores a policy's Conditions and would deny every request. The database, its schemas
and the pipeline's objects (`sql/setup/`, with the emulator's stand-ins from
`emulator_gaps`) are created as the emulator's one user; roles, grants, users, the
warehouse and the storage integration do not exist on the emulator. Every step is
idempotent, so this runs whenever a command brings the services up, and once for
each database a test makes.
"""

from __future__ import annotations

from dataclasses import replace

from shopping_assets.settings import Settings

EMBEDDED_REGION = "us-east-1"  # the region the embedded S3 resource signs for


def _config(settings: Settings):
    from shopping_assets.bootstrap.config import BootstrapConfig

    return BootstrapConfig.from_env(environ={}, settings=replace(settings, region=EMBEDDED_REGION))


def bucket(settings: Settings) -> None:
    from shopping_assets.bootstrap import aws_steps as aws
    from shopping_assets.bootstrap import plan

    steps = [step for step in aws.bucket_steps(_config(settings)) if step.operation != "put_bucket_policy"]
    executor = aws.AwsExecutor(
        EMBEDDED_REGION,
        endpoint_url=settings.s3_endpoint,
        aws_access_key_id="embedded",
        aws_secret_access_key="embedded",
    )
    plan.apply(steps, aws_executor=executor, snowflake_executor=None)


def warehouse(settings: Settings) -> None:
    import snowflake.connector

    from shopping_assets.bootstrap import plan, snowflake_steps
    from shopping_assets.bootstrap.snowflake_steps import SnowflakeExecutor
    from shopping_assets.sessions import emulator_connection_args

    config = _config(settings)
    steps = [*snowflake_steps.database_steps(config), *snowflake_steps.pipeline_object_steps(config, emulator=True)]
    executor = SnowflakeExecutor(lambda: snowflake.connector.connect(**emulator_connection_args(settings)))
    try:
        plan.apply(steps, aws_executor=None, snowflake_executor=executor)
    finally:
        executor.close()


def apply(settings: Settings) -> None:
    """The bucket and the database the settings name, as production's bootstrap leaves them."""
    bucket(settings)
    warehouse(settings)
