"""The Snowflake connection: one resource class, configured per deployment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import snowflake.connector
from dagster import EnvVar
from dagster_snowflake import SnowflakeResource

from shopping_assets.settings import Settings


class ClosingSnowflakeResource(SnowflakeResource):
    """SnowflakeResource whose connection is closed even when the body raises.

    Upstream's get_connection closes only on success (dagster PR #34147), which
    leaks a session per failed step; this is its fix, for the default connector.
    """

    @contextmanager
    def get_connection(self, raw_conn: bool = True) -> Iterator[snowflake.connector.SnowflakeConnection]:
        conn = snowflake.connector.connect(**self._connection_args)
        try:
            yield conn
            if not self.autocommit:
                conn.commit()
        finally:
            conn.close()


def snowflake_resource(settings: Settings) -> ClosingSnowflakeResource:
    if settings.local:
        # The emulator accepts any credentials; these are not secrets.
        return ClosingSnowflakeResource(
            account="embedded",
            user="shopping",
            password="embedded",
            database=settings.database,
            schema="RAW",
            additional_snowflake_connection_args={
                "host": "127.0.0.1",
                "port": settings.snowflake_port,
                "protocol": "http",
                "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            },
        )
    if settings.snowflake_key_pair:
        auth = {"private_key_path": EnvVar("SNOWFLAKE_PRIVATE_KEY_PATH")}
        if os.environ.get("SNOWFLAKE_PRIVATE_KEY_PASSWORD"):
            auth["private_key_password"] = EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSWORD")
    else:
        auth = {"password": EnvVar("SNOWFLAKE_PASSWORD")}
    return ClosingSnowflakeResource(
        account=EnvVar("SNOWFLAKE_ACCOUNT"),
        user=EnvVar("SNOWFLAKE_USER"),
        database=settings.database,
        schema="RAW",
        warehouse=settings.warehouse,
        role=settings.role,
        **auth,
    )
