"""The resources of the code location, chosen per deployment from the settings."""

from __future__ import annotations

from typing import Any

from dagster_aws.s3 import S3Resource

from shopping_assets.defs.alerts.notifiers import Alerts
from shopping_assets.resources.input_data import InputData
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.snowflake import snowflake_resource
from shopping_assets.resources.snowflake_pandas import IO_MANAGER_KEY, snowflake_pandas_io_manager
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.settings import Settings


def input_data(settings: Settings, **overrides: Any) -> InputData:
    """The input folder the settings name, with any field overridden (a test's folder, an end date)."""
    config = {
        "input_dir": str(settings.input_dir),
        "generate": settings.generate,
        "customers": settings.customers,
        "seed": settings.seed,
    }
    return InputData(**{**config, **overrides})


def build_resources(settings: Settings, inputs: InputData | None = None) -> dict[str, Any]:
    if settings.local:
        # The embedded server takes any key pair; these are not secrets.
        s3 = S3Resource(
            endpoint_url=settings.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="embedded",
            aws_secret_access_key="embedded",
            max_attempts=settings.s3_max_attempts,
        )
    else:
        # Credentials come from boto3's own chain (environment, profile or instance role).
        s3 = S3Resource(region_name=settings.region, max_attempts=settings.s3_max_attempts)
    snowflake = snowflake_resource(settings)
    return {
        "input_data": inputs or input_data(settings),
        "alerts": Alerts.from_settings(settings.alerts),
        "lake": Lake(s3=s3, bucket=settings.bucket, prefix=settings.prefix),
        "warehouse": Warehouse(
            snowflake=snowflake,
            database=settings.database,
            stage_url=settings.stage_url,
            storage_integration=settings.storage_integration,
            emulator=settings.local,
            lock_timeout=settings.lock_timeout,
        ),
        # DataFrame assets as MART tables, through the same login as the warehouse's sessions
        IO_MANAGER_KEY: snowflake_pandas_io_manager(settings),
    }
