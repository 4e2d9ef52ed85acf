"""The project's SQL: Snowflake statements in `sql/*.sql`, rendered for execution.

`sql/` sits at the top of the repository and ships inside the installed package (as
`shopping_assets/sql`, a link to it in the source tree). Two kinds of placeholder,
never mixed up:
- `{database}`, `{table}`, ... are identifiers, substituted here only from values
  that passed `settings.identifier` (configuration) or are constants in code;
- `%(name)s` are values, bound by the Snowflake connector at execution.
"""

from __future__ import annotations

import re
from pathlib import Path

from shopping_assets.settings import identifier

SQL_DIR = Path(__file__).resolve().parent / "sql"

_COMMENT = re.compile(r"^\s*--.*$", re.MULTILINE)
_STATEMENT_END = re.compile(r";\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")  # not {4}, a regex repetition


def statements(name: str) -> tuple[str, ...]:
    """The statements of `sql/<name>.sql`, comments removed."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    text = _COMMENT.sub("", path.read_text())
    return tuple(s.strip() for s in _STATEMENT_END.split(text) if s.strip())


def render(name: str, identifiers: dict[str, str]) -> list[str]:
    """Statements with identifier placeholders filled; every one must be a safe name."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in identifiers:
            raise KeyError(f"sql/{name}.sql needs identifier {{{key}}}")
        value = identifiers[key]
        # column lists are comma-separated identifiers; each one is checked
        return ", ".join(identifier(part.strip(), key) for part in value.split(","))

    return [_PLACEHOLDER.sub(substitute, statement) for statement in statements(name)]


def placeholders(name: str) -> set[str]:
    """The identifier placeholders `sql/<name>.sql` uses."""
    return {match for statement in statements(name) for match in _PLACEHOLDER.findall(statement)}


def values(statement: str) -> set[str]:
    """The names of the bound values a statement takes (`%(name)s`)."""
    return set(re.findall(r"%\((\w+)\)s", statement))


def bind(statement: str, params: dict[str, object]) -> str:
    """The statement's text as the Snowflake connector sends it: its values bound on the
    client (the default pyformat paramstyle), by the connector's own converter."""
    from snowflake.connector.connection import SnowflakeConnection
    from snowflake.connector.converter import SnowflakeConverter

    if "%(" not in statement:
        return statement
    binder = SnowflakeConnection.__new__(SnowflakeConnection)  # the binding needs no session
    binder.converter = SnowflakeConverter()
    return statement % binder._process_params_dict(params)
