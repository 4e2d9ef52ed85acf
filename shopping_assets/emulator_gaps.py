"""Every place where the embedded Snowflake emulator needs different SQL.

The emulator (fakesnow on DuckDB) runs almost all of the project's Snowflake SQL
as it is. Where it cannot, the production statement stays in `sql/<name>.sql`
and its stand-in lives in `sql/emulator/<file>.sql`, listed here with the reason.
Tests parse every production statement with sqlglot's Snowflake dialect and run
every stand-in on the emulator.
"""

from __future__ import annotations

from typing import Any

# production statement -> (emulator stand-in, why)
SUBSTITUTES: dict[str, tuple[str, str]] = {
    "setup/03_stage": (
        "emulator/03_stage",
        "no storage integrations; the stage reads the embedded S3 server directly",
    ),
    "raw/transaction_lines_copy": (
        "emulator/transaction_lines_copy",
        "COPY with a transformation (METADATA$FILENAME, METADATA$FILE_ROW_NUMBER) is not supported",
    ),
}


def statement_for(name: str, emulator: bool) -> str:
    return SUBSTITUTES[name][0] if emulator and name in SUBSTITUTES else name


def params_for(name: str, params: dict[str, Any], stage_url: str) -> dict[str, Any]:
    """The emulator's read of staged files needs their full URLs, which COPY derives itself."""
    if name == "raw/transaction_lines_copy":
        return {**params, "stage_url": stage_url, "urls": [stage_url + f for f in params["files"]]}
    return params
