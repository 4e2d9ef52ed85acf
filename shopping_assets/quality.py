"""Data-quality accounting: line counts, quarantine summaries and the rate thresholds.

What is quarantined, and why, is decided in SQL (sql/staging/transaction_line_checks.sql
and the *_CHECKS views in sql/setup/05_staging_views.sql); this module only counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dagster import AssetCheckSeverity

from shopping_assets.errors import InputLayoutError

CHUNK = 1 << 20  # bytes read at a time when counting lines: memory stays flat whatever the file size


def count_lines(path: Path) -> int:
    """Lines of a file as Snowflake's COPY counts records (see count_records)."""
    with path.open("rb") as file:
        return count_records(iter(lambda: file.read(CHUNK), b""))


def count_records(chunks: Iterable[bytes]) -> int:
    """Lines in a stream of bytes as Snowflake's COPY counts records: a final newline does not start another."""
    lines, last = 0, b"\n"
    for chunk in chunks:
        if chunk:
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return lines + (last != b"\n")


def check_csv(path: Path, columns: tuple[str, ...]) -> int:
    """Rows of a reference CSV, after checking its shape; a broken file fails naming file and line.

    Column-count and encoding errors make the whole file untrustworthy (a shifted
    column would put descriptions into categories), so they stop the load instead
    of being quarantined row by row. Snowflake's COPY would reject such a file too;
    checking here gives the same answer on every deployment, before upload.
    """
    import csv
    import io

    raw = path.read_bytes()
    if not raw.strip():
        raise InputLayoutError(f"{path} is empty (expected the header {','.join(columns)})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputLayoutError(f"{path}, line {line}: not UTF-8 (byte {raw[error.start]:#04x})") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [name.strip() for name in rows[0]]
    if header != list(columns):
        raise InputLayoutError(f"{path}, line 1: header is {','.join(header)}, expected {','.join(columns)}")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(columns):
            raise InputLayoutError(f"{path}, line {number}: {len(row)} fields, expected {len(columns)}")
    return len(rows) - 1


def reasons(session, source: str, month: str | None = None) -> dict[str, int]:
    """Quarantined lines by reason for one source (and month, for transactions)."""
    rows = session.rows("staging/quarantine_reasons", source=source, month=month)
    return {reason: int(count) for reason, count in rows}


def quarantine_severity(
    quarantined: int, lines: int, warn_rate: float, max_rate: float
) -> tuple[bool, AssetCheckSeverity, float]:
    """(passed, severity, rate): above `warn_rate` (SHOPPING_QUARANTINE_WARN_RATE) warns, above `max_rate` fails.

    A handful of bad lines among thousands must not stop the weekly run; a flood
    of them means something upstream broke, and the view should not be rebuilt.
    """
    rate = quarantined / lines if lines else 0.0
    if rate > max_rate:
        return False, AssetCheckSeverity.ERROR, rate
    if rate > warn_rate:
        return False, AssetCheckSeverity.WARN, rate
    return True, AssetCheckSeverity.WARN, rate
