"""One partition per calendar month, shared by every transaction asset and the snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from dagster import BackfillPolicy, MonthlyPartitionsDefinition, RunRequest

from shopping_assets.settings import Settings, SettingsError

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def monthly_partitions(settings: Settings) -> MonthlyPartitionsDefinition:
    if not settings.first_month:
        raise SettingsError(
            "SHOPPING_FIRST_MONTH=YYYY-MM is required in production: the month of the first transactions, "
            "where the month partitions start"
        )
    # end_offset=1: the month in progress is a partition too, so this week's files load.
    return MonthlyPartitionsDefinition(start_date=f"{settings.first_month}-01", end_offset=1)


def backfill_policy(settings: Settings) -> BackfillPolicy:
    """A backfill loads its months in one run, or in runs of SHOPPING_BACKFILL_MONTHS_PER_RUN months:
    the monthly steps work on a range (one COPY, one classification, one transaction)."""
    if settings.backfill_months_per_run:
        return BackfillPolicy.multi_run(max_partitions_per_run=settings.backfill_months_per_run)
    return BackfillPolicy.single_run()


def month_folder(partition_key: str) -> str:
    """Stage-relative folder of a month's transaction files: transactions/YYYY/MM/."""
    day = date.fromisoformat(partition_key)
    return f"transactions/{day:%Y}/{day:%m}/"


def day_key(day: date) -> str:
    return f"{month_folder(day.replace(day=1).isoformat())}{day.isoformat()}.json"


def month_at(prefix: str) -> int:
    """Where YYYY/MM starts in the key of a month's object, counting from 1: after the key's
    prefix and `transactions/` (sql/raw/transaction_lines_replace.sql reads the month there)."""
    return len(prefix) + len("transactions/") + 1


def range_tags(first: str, last: str) -> dict[str, str]:
    """The tags that make a run cover the partitions from `first` to `last` (as a ranged backfill run does)."""
    return {RANGE_START: first, RANGE_END: last}


def month_run_request(
    run_key: str, months: Sequence[str], tags: Mapping[str, str], job_name: str | None = None
) -> RunRequest:
    """One run for the months, consecutive and in order: a partition, or a range from first to last."""
    if len(months) == 1:
        return RunRequest(run_key=run_key, partition_key=months[0], tags=dict(tags), job_name=job_name)
    return RunRequest(run_key=run_key, tags={**tags, **range_tags(months[0], months[-1])}, job_name=job_name)
