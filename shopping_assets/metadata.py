"""Metadata the Dagster UI understands: previews as markdown tables, and what an asset's
definition carries (its table and columns, its code, its owners, a version of what it runs)."""

from __future__ import annotations

import hashlib
import inspect
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from dagster import BetaWarning, CodeReferencesMetadataValue, LocalFileCodeReference, MetadataValue

from shopping_assets.tables import Table


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> MetadataValue:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return MetadataValue.md("\n".join(lines))


# Who answers for the pipeline's assets (the UI's owner filter and asset pages).
OWNERS = ["team:shopping-data"]


def _sql_path(name: str) -> Path:
    from shopping_assets.statements import SQL_DIR

    return (SQL_DIR / f"{name}.sql").resolve()


# (file, first line) -> the source there and its first line: a factory's assets share one
# function, and inspect tokenizes its file's lines again on every call
_SOURCES: dict[tuple[str, int], tuple[str, int]] = {}


def _source(function: Callable) -> tuple[str, int]:
    code = inspect.unwrap(function).__code__
    where = (code.co_filename, code.co_firstlineno)
    if where not in _SOURCES:
        lines, first = inspect.getsourcelines(function)
        _SOURCES[where] = ("".join(lines), first)
    return _SOURCES[where]


def code_references(function: Callable, sql: Sequence[str] = ()) -> dict[str, MetadataValue]:
    """`dagster/code_references`: the asset's Python function and each SQL file it runs."""
    _, first = _source(function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)  # code references are a beta in 1.13
        python = LocalFileCodeReference(
            file_path=inspect.getsourcefile(function), line_number=first, label=f"{function.__name__} (Python)"
        )
        files = [LocalFileCodeReference(file_path=str(_sql_path(n)), line_number=1, label=f"sql/{n}.sql") for n in sql]
        return {"dagster/code_references": CodeReferencesMetadataValue(code_references=[python, *files])}


def code_version(function: Callable, sql: Sequence[str] = ()) -> str:
    """A digest of the function's source and its SQL files: it changes exactly when what the
    asset runs changes, so the UI marks the asset as changed since its last materialisation."""
    digest = hashlib.sha256(_source(function)[0].encode())
    for name in sql:
        digest.update(_sql_path(name).read_bytes())
    return digest.hexdigest()[:12]


def table_metadata(table: Table, database: str) -> dict[str, object]:
    """Definition-time metadata of a warehouse table or view: its name and its columns."""
    return {"dagster/table_name": table.qualified(database), "dagster/column_schema": table.column_schema()}


def definition(
    function: Callable, sql: Sequence[str] = (), table: Table | None = None, database: str = "", uri: str = ""
) -> dict:
    """What an asset's definition carries: owners, a code version, its code, and its table or its S3 location."""
    where = table_metadata(table, database) if table else {"dagster/uri": uri} if uri else {}
    return {
        "owners": OWNERS,
        "code_version": code_version(function, sql),
        "metadata": {**code_references(function, sql), **where},
    }
