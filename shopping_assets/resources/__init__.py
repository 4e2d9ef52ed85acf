"""Resources, chosen per deployment from environment variables (see settings.py)."""

from __future__ import annotations

import os
from typing import Any

from dagster_aws.s3 import S3Resource

from shopping_assets.resources.input_data import InputData
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.snowflake import snowflake_resource
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.settings import Settings, whole_number


def input_data_from_env(settings: Settings, **overrides: Any) -> InputData:
    generate = os.environ.get("SHOPPING_GENERATE", "true" if settings.local else "false").strip().lower()
    config = {
        "input_dir": str(settings.input_dir),
        "generate": generate in {"1", "true", "yes"},
        "customers": whole_number("SHOPPING_CUSTOMERS", 137),
        "seed": whole_number("SHOPPING_SEED", 42, minimum=0),
    }
    return InputData(**{**config, **overrides})


def build_resources(settings: Settings, input_data: InputData | None = None) -> dict[str, Any]:
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
        "input_data": input_data or input_data_from_env(settings),
        "lake": Lake(s3=s3, bucket=settings.bucket, prefix=settings.prefix),
        "warehouse": Warehouse(
            snowflake=snowflake,
            database=settings.database,
            stage_url=settings.stage_url,
            storage_integration=settings.storage_integration,
            emulator=settings.local,
            lock_timeout=settings.lock_timeout,
        ),
    }
