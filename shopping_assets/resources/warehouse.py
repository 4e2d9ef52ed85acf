"""Runs the project's SQL files on Snowflake (or the emulator), one session at a time.

The run-time path creates nothing but session-temporary tables and the MART views:
the schemas, file formats, stage, tables and STAGING views are bootstrap's
(`shopping-pipeline bootstrap` in production, the embedded services' own bootstrap
locally), run by the role that owns them. `shopping-pipeline bootstrap --audit`
checks every statement here against the privileges bootstrap grants.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import snowflake.connector
from dagster import ConfigurableResource, ResourceDependency
from dagster_snowflake import SnowflakeResource

from shopping_assets import checkpoints, statements
from shopping_assets.embedded import emulator_gaps
from shopping_assets.errors import ServiceCallError
from shopping_assets.tables import Table


class LoadLockBusy(ServiceCallError):
    """Another transaction held the load lock for longer than the session's LOCK_TIMEOUT."""


class Session:
    def __init__(self, connection: Any, warehouse: "Warehouse"):
        self.connection = connection
        self.warehouse = warehouse

    def run(self, name: str, identifiers: dict[str, str] | None = None, **params: Any) -> Any:
        """Execute every statement of `sql/<name>.sql`; return the cursor of the last one."""
        emulator = self.warehouse.emulator
        file = emulator_gaps.statement_for(name, emulator)
        if emulator:
            params = emulator_gaps.params_for(name, params, self.warehouse.stage_url)
        cursor = self.connection.cursor()
        for number, statement in enumerate(
            statements.render(file, {**self.warehouse.names, **(identifiers or {})}), start=1
        ):
            cursor.execute(statement, params if "%(" in statement else None)
            checkpoints.reached(f"{name}:{number}")
        return cursor

    def rows(self, name: str, identifiers: dict[str, str] | None = None, **params: Any) -> list[tuple]:
        return self.run(name, identifiers, **params).fetchall()

    def size(self, table: Table) -> dict[str, int]:
        """`dagster/size_bytes` of a table, as the warehouse reports it; nothing where it keeps no size."""
        [[size]] = self.rows("metadata/table_bytes", schema=table.schema, table=table.name)
        return {} if size is None else {"dagster/size_bytes": int(size)}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One replacing transaction, serialised with every other run's by the load lock."""
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        try:
            self._take_load_lock()
            yield
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def _take_load_lock(self) -> None:
        try:
            self.run("raw/take_load_lock")
        except snowflake.connector.errors.Error as error:
            raise LoadLockBusy(
                f"{self.warehouse.table('RAW', 'LOAD_LOCK')} was not free within {self.warehouse.lock_timeout} s "
                "(SHOPPING_LOCK_TIMEOUT): another run is loading, or a dead session still holds it (Snowflake "
                f"aborts such a transaction after about 5 idle minutes); this step's retries try again. {error.msg}"
            ) from error


class Warehouse(ConfigurableResource):
    """The Snowflake side of the pipeline: the SQL in `sql/`, run in sessions of the pipeline's role."""

    snowflake: ResourceDependency[SnowflakeResource]
    database: str
    stage_url: str
    storage_integration: str = "SHOPPING_S3"
    emulator: bool = False
    # seconds a statement waits for a lock before it fails (Snowflake's LOCK_TIMEOUT, set per session)
    lock_timeout: int = 120

    @property
    def names(self) -> dict[str, str]:
        """The identifiers every statement may use."""
        return {"database": self.database, "storage_integration": self.storage_integration}

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.snowflake.get_connection() as connection:
            yield Session(connection, self)

    def table(self, schema: str, name: str) -> str:
        return f"{self.database}.{schema}.{name}"
