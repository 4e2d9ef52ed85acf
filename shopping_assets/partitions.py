"""One partition per calendar month, shared by every transaction asset and the snapshot."""

from __future__ import annotations

from datetime import date

from dagster import MonthlyPartitionsDefinition

from shopping_assets.settings import Settings


def monthly_partitions(settings: Settings) -> MonthlyPartitionsDefinition:
    # end_offset=1: the month in progress is a partition too, so this week's files load.
    return MonthlyPartitionsDefinition(start_date=f"{settings.first_month}-01", end_offset=1)


def month_folder(partition_key: str) -> str:
    """Stage-relative folder of a month's transaction files: transactions/YYYY/MM/."""
    day = date.fromisoformat(partition_key)
    return f"transactions/{day:%Y}/{day:%m}/"


def day_key(day: date) -> str:
    return f"{month_folder(day.replace(day=1).isoformat())}{day.isoformat()}.json"
