"""The Snowflake connection: one resource class, configured per deployment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import snowflake.connector
from dagster import EnvVar
from dagster_snowflake import SnowflakeResource

from shopping_assets.sessions import LOGIN_OPTIONS, emulator_connection_args, session_parameters
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


def connection_config(settings: Settings) -> dict[str, Any]:
    """How the pipeline's sessions log in, for every client of Snowflake it configures (the
    Warehouse's resource, the pandas IO manager): all but the default schema."""
    if settings.local:
        args = emulator_connection_args(settings)
        login = {name: args.pop(name) for name in ("account", "user", "password")}
        return {**login, "database": settings.database, "additional_snowflake_connection_args": args}
    # A service user (TYPE = SERVICE) logs in with its key pair only: Snowflake refuses
    # password-only logins under its MFA enforcement. EnvVar keeps the values out of the
    # run's config and logs.
    auth = {"private_key_path": EnvVar("SNOWFLAKE_PRIVATE_KEY_PATH")}
    if settings.snowflake_key_passphrase:
        auth["private_key_password"] = EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSWORD")
    return {
        "account": EnvVar("SNOWFLAKE_ACCOUNT"),
        "user": EnvVar("SNOWFLAKE_USER"),
        "database": settings.database,
        "warehouse": settings.warehouse,
        "role": settings.role,
        "additional_snowflake_connection_args": {**LOGIN_OPTIONS, "session_parameters": session_parameters(settings)},
        **auth,
    }


def snowflake_resource(settings: Settings) -> ClosingSnowflakeResource:
    return ClosingSnowflakeResource(**connection_config(settings), schema="RAW")
