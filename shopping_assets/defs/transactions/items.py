"""STAGING.TRANSACTION_ITEMS and the quarantine: the months' raw lines classified once, then
replaced together in one transaction, with each month's checks."""

import json
from collections.abc import Iterator
from dataclasses import dataclass

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, AssetKey

from shopping_assets import quality, tables
from shopping_assets.defs.transactions.raw_lines import LINES
from shopping_assets.partition_results import MonthResult, by_month, month_range, months_of, report
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Session, Warehouse

ITEMS, QUARANTINE = AssetKey("transaction_items"), AssetKey("transaction_quarantine")
QUARANTINE_FOLDER = "quarantine/transactions/"
SQL = (
    "staging/raw_lines_version",
    "staging/transaction_line_checks",
    "staging/transaction_items_replace",
    "staging/quarantine_transactions_replace",
    "staging/transaction_items_counts",
    "staging/quarantine_reasons_by_month",
    "staging/quarantined_transaction_lines",
    "staging/transaction_items_unknown",
    "metadata/table_bytes",
    "staging/transaction_items_totals",
)


class RawLinesReloaded(RuntimeError):
    """Writing this classification would replace a newer run's items with older ones."""


def _classify_and_replace(session: Session, months: list[str]) -> None:
    """Classify the months' raw lines, then replace their items and quarantine in one transaction."""
    span = month_range(months)
    # read first: a reload between this and the classification only costs a retry
    classified = session.rows("staging/raw_lines_version", **span)
    session.run("staging/transaction_line_checks", LINES, **span)
    with session.transaction():
        if session.rows("staging/raw_lines_version", **span) != classified:
            raise RawLinesReloaded(
                f"RAW.TRANSACTION_LINES for {months[0][:7]}..{months[-1][:7]} was reloaded by another run while "
                "this one classified it; the step's retry classifies the new lines"
            )
        session.run("staging/transaction_items_replace", **span)
        session.run("staging/quarantine_transactions_replace", **span)


def transaction_items(
    context: AssetExecutionContext, warehouse: Warehouse, lake: Lake, warn_rate: float, max_rate: float
) -> Iterator:
    months = months_of(context)
    span = month_range(months)
    with warehouse.session() as session:
        _classify_and_replace(session, months)
        counts = by_month(session.rows("staging/transaction_items_counts", **span), months)
        reasons = by_month(session.rows("staging/quarantine_reasons_by_month", **span), months)
        quarantined_lines = by_month(session.rows("staging/quarantined_transaction_lines", **span), months)
        unknown = by_month(session.rows("staging/transaction_items_unknown", **span), months)
        [[items_total, quarantine_total]] = session.rows("staging/transaction_items_totals")
        sizes = {ITEMS: session.size(tables.TRANSACTION_ITEMS), QUARANTINE: session.size(tables.QUARANTINE)}
    items, quarantine = {}, {}
    for month in months:
        [(raw, loaded, quarantined, invalid, basket_lines)] = counts[month] or [(0, 0, 0, 0, 0)]
        lines = _Lines(int(raw), int(loaded), int(quarantined), int(invalid))
        month_reasons = {reason: int(count) for reason, count in reasons[month]}
        uri = _write_quarantine_file(lake, month, quarantined_lines[month])
        items[month] = MonthResult(
            {
                "dagster/partition_row_count": int(basket_lines),
                "input lines": lines.raw,
                "loaded lines": lines.loaded,
                "quarantined lines": lines.quarantined,
            },
            _item_checks(lines, month_reasons, quarantined_lines[month], unknown[month], warn_rate, max_rate),
        )
        quarantine[month] = MonthResult(
            {"dagster/partition_row_count": lines.quarantined, "quarantine reasons": month_reasons, "dagster/uri": uri}
        )
        context.log.info(f"{month[:7]}: {lines.raw} lines = {lines.loaded} loaded + {lines.quarantined} quarantined")
    yield from report(
        context,
        {ITEMS: items, QUARANTINE: quarantine},
        {
            ITEMS: {"dagster/row_count": int(items_total), **sizes[ITEMS]},
            QUARANTINE: {"dagster/row_count": int(quarantine_total), **sizes[QUARANTINE]},
        },
    )


@dataclass(frozen=True)
class _Lines:
    """A month's lines as sql/staging/transaction_items_counts.sql counts them, each from its own table."""

    raw: int
    loaded: int
    quarantined: int
    invalid: int  # loaded basket lines no valid transaction could give


def _item_checks(
    lines: _Lines, reasons: dict, quarantined: list[tuple], unknown: list[tuple], warn_rate: float, max_rate: float
) -> list[AssetCheckResult]:
    passed, severity, rate = quality.quarantine_severity(lines.quarantined, lines.raw, warn_rate, max_rate)
    sample = [{"file": f, "line": int(n), "reason": r} for f, n, r, _ in quarantined[:5]]
    orphans = _unknown_ids(unknown)
    return [
        AssetCheckResult(
            check_name="lines_accounted_for",
            passed=lines.raw == lines.loaded + lines.quarantined,
            metadata={"input lines": lines.raw, "loaded": lines.loaded, "quarantined": lines.quarantined},
        ),
        AssetCheckResult(
            check_name="quarantine_rate",
            passed=passed,
            severity=severity,
            metadata={"rate": round(rate, 6), "quarantined": lines.quarantined, "reasons": reasons, "examples": sample},
        ),
        AssetCheckResult(
            check_name="valid_prices_and_dates",
            passed=lines.invalid == 0,
            metadata={"invalid basket lines": lines.invalid},
        ),
        AssetCheckResult(
            check_name="known_customers_and_products",
            passed=orphans["count"] == 0,
            severity=AssetCheckSeverity.WARN,
            metadata=orphans,
        ),
    ]


def _unknown_ids(rows: list[tuple]) -> dict:
    """The check's metadata from sql/staging/transaction_items_unknown.sql's (kind, id, basket lines), ids sorted."""
    return {
        "count": sum(int(count) for *_, count in rows),
        "unknown customers": [str(value) for kind, value, _ in rows if kind == "customers"],
        "unknown products": [str(value) for kind, value, _ in rows if kind == "products"],
    }


def _write_quarantine_file(lake: Lake, month: str, rows: list[tuple]) -> str:
    """The month's quarantine as JSON Lines in the bucket, replaced with the month."""
    key = f"{QUARANTINE_FOLDER}{month[:4]}/{month[5:7]}/quarantine.jsonl"
    body = "".join(
        json.dumps({"source_file": f, "line_number": int(n), "reason": r, "line": text}) + "\n"
        for f, n, r, text in rows
    )
    lake.client().put_object(Bucket=lake.bucket, Key=lake.prefix + key, Body=body.encode())
    return lake.uri(key)
