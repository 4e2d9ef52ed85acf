"""Metadata that asset materialisations share: previews and column schemas."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import MetadataValue, TableColumn, TableSchema


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> MetadataValue:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return MetadataValue.md("\n".join(lines))


def column_schema(columns: Sequence[tuple[str, str, str]]) -> MetadataValue:
    """(name, type, description) triples as dagster/column_schema."""
    return MetadataValue.table_schema(
        TableSchema(columns=[TableColumn(name, type_, description=text) for name, type_, text in columns])
    )
