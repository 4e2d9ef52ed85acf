"""Metadata that asset materialisations share: previews as markdown tables."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import MetadataValue


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> MetadataValue:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return MetadataValue.md("\n".join(lines))
