"""One partition per calendar month, shared by every transaction asset."""

from __future__ import annotations

from datetime import date

from dagster import MonthlyPartitionsDefinition

from shopping_assets.settings import Settings

# end_offset=1: the month in progress is a partition too, so this week's files load.
MONTHLY = MonthlyPartitionsDefinition(start_date=f"{Settings.from_env().first_month}-01", end_offset=1)


def month_folder(partition_key: str) -> str:
    """Stage-relative folder of a month's transaction files: transactions/YYYY/MM/."""
    day = date.fromisoformat(partition_key)
    return f"transactions/{day:%Y}/{day:%m}/"


def next_month(partition_key: str) -> str:
    day = date.fromisoformat(partition_key)
    return (day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(month=day.month + 1)).isoformat()


def day_key(day: date) -> str:
    return f"{month_folder(day.replace(day=1).isoformat())}{day.isoformat()}.json"
