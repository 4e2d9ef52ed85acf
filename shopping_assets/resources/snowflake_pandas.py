"""The IO manager that keeps DataFrame assets as Snowflake tables: dagster-snowflake-pandas.

It logs in exactly as the Warehouse's sessions do (`connection_config`: the service user's
key pair as EnvVars, read when a step connects; role, warehouse and database from the
settings; locally the embedded emulator through additional_snowflake_connection_args).
An asset stored by it is the table <database>.MART.<ASSET NAME>, replaced whole when the
asset is materialised: dagster deletes its rows, then the connector's `write_pandas` loads
the frame (a temporary stage, PUT of a Parquet file, INFER_SCHEMA, CREATE TABLE IF NOT
EXISTS, COPY). What that needs: bootstrap/io_manager.py (the privileges, audited) and
embedded/emulator_gaps/write_pandas.py (the emulator's support).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.db_io_manager import DbIOManager
from dagster_snowflake.snowflake_io_manager import SnowflakeDbClient
from dagster_snowflake_pandas import SnowflakePandasIOManager

from shopping_assets.resources.snowflake import ClosingSnowflakeResource, connection_config
from shopping_assets.settings import Settings

IO_MANAGER_KEY = "snowflake_pandas"
SCHEMA = "MART"  # where its tables live unless an asset says otherwise (metadata "schema")


class ClosingSnowflakeDbClient(SnowflakeDbClient):
    """Upstream's client, but its session is closed when a load or a write fails too (a failed
    write would otherwise keep its session, and the session its temporary stage, open)."""

    @staticmethod
    @contextmanager
    def connect(context, table_slice) -> Iterator:
        config = {key: value for key, value in (context.resource_config or {}).items() if key != "schema"}
        with ClosingSnowflakeResource(schema=table_slice.schema, **config).get_connection() as connection:
            yield connection


class ShoppingPandasIOManager(SnowflakePandasIOManager):
    """SnowflakePandasIOManager over ClosingSnowflakeDbClient; the rest is upstream's."""

    def create_io_manager(self, context) -> DbIOManager:
        return DbIOManager(
            db_client=ClosingSnowflakeDbClient(),
            io_manager_name="SnowflakeIOManager",
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
        )


def snowflake_pandas_io_manager(settings: Settings) -> ShoppingPandasIOManager:
    return ShoppingPandasIOManager(**connection_config(settings), schema=SCHEMA)
