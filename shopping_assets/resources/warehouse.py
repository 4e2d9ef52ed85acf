"""Runs the project's SQL files on Snowflake (or the emulator), one session at a time."""


from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dagster import ConfigurableResource, ResourceDependency
from dagster_snowflake import SnowflakeResource

from shopping_assets import emulator_gaps, faults, sql

SETUP = (
    "setup/01_schemas",
    "setup/02_file_formats",
    "setup/03_stage",
    "setup/04_tables",
    "setup/05_staging_views",
    "setup/06_load_lock",
)

# One setup per process and target is enough: every statement in it is idempotent.
_set_up: set[tuple[str, str]] = set()


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
        names = {"database": self.warehouse.database, "storage_integration": self.warehouse.storage_integration}
        cursor = self.connection.cursor()
        for number, statement in enumerate(sql.render(file, {**names, **(identifiers or {})}), start=1):
            cursor.execute(statement, params if "%(" in statement else None)
            faults.checkpoint(f"{name}:{number}")
        return cursor

    def rows(self, name: str, identifiers: dict[str, str] | None = None, **params: Any) -> list[tuple]:
        return self.run(name, identifiers, **params).fetchall()

    def query(self, text: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        """An ad-hoc read (counts, previews); anything that changes data belongs in sql/."""
        cursor = self.connection.cursor()
        cursor.execute(text, params)
        return cursor.fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One replacing transaction, serialised with every other run's by the load lock."""
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        try:
            self.run("raw/take_load_lock")
            yield
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def setup(self) -> None:
        key = (self.warehouse.database, self.warehouse.stage_url)
        if key in _set_up:
            return
        for name in SETUP:
            self.run(name, stage_url=self.warehouse.stage_url)
        _set_up.add(key)


class Warehouse(ConfigurableResource):
    """The Snowflake side of the pipeline: schemas, stage, and the SQL in `sql/`."""

    snowflake: ResourceDependency[SnowflakeResource]
    database: str
    stage_url: str
    storage_integration: str = "SHOPPING_S3"
    emulator: bool = False

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.snowflake.get_connection() as connection:
            session = Session(connection, self)
            session.setup()
            yield session

    def table(self, schema: str, name: str) -> str:
        return f"{self.database}.{schema}.{name}"
