"""The weekly delivery (Monday 06:00 UTC, for the months the past week touched) and the monthly audit.

Design. `weekly_job` is the month's snapshot plus everything upstream of it (reference
tables, the month's transaction chain, the views), and the weekly view too. Dagster
allows unpartitioned assets in a run that has a partition key: they materialize
unpartitioned, the partitioned ones for that month, and the run orders the steps by
dependency, so the views are recreated after the month has loaded and the month's
snapshot is written last. A tick therefore requests one self-contained run per
touched month instead of separate reference_job, transactions_job and publish_job
runs, which Dagster would launch without any order among them. Every step works on
one month or on small tables, so a weekly run costs the same with a month of history
as with years of it.

When the week spans a month boundary the tick requests two runs, the earlier month
first; both reload the reference tables and recreate the views, which is harmless
(each replaces its target whole, and a view always reads the current tables). They
carry the MONTH_ORDER_QUEUE tag, which the instance's run queue limits to one run at
a time (instance.py), so they run in that order: the later month's snapshot then
counts the purchases the earlier month's last file dates past midnight into it.

The checks that aggregate all of history run in `audit_job`, on the 1st of every
month at 07:00 UTC (and from the UI after a backfill); a failed audit fails its run,
which `run_failure_alerts` reports.

Not `build_schedule_from_partitioned_job`: over monthly partitions it fires monthly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster import (
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    PartitionsDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    partition_loading_context,
    schedule,
)

from shopping_assets.defs.jobs import audit_job, weekly_job
from shopping_assets.instance import MONTH_ORDER_QUEUE
from shopping_assets.partitions import monthly_partitions
from shopping_assets.settings import Settings, SettingsError

# How far back a tick looks. Fixed, not derived from the cron: a more frequent cron
# only reloads a month more often (idempotent); a rarer one would need a longer lookback.
LOOKBACK = timedelta(days=7)

AUDIT_CRON = "0 7 1 * *"  # the 1st of the month, 07:00 UTC: after a Monday's weekly run on the same day

monthly_audit = ScheduleDefinition(
    name="monthly_audit",
    job=audit_job,
    cron_schedule=AUDIT_CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="audit_job on the 1st of every month at 07:00 UTC: the checks too costly for every weekly run.",
)


def touched_months(scheduled: datetime, partitions: PartitionsDefinition, lookback: timedelta = LOOKBACK) -> list[str]:
    """Month partition keys of the `lookback` before `scheduled`, oldest first.

    The months of the window's two ends cover it, since the window is shorter than
    any month. Keys are validated against the partitions as of `scheduled` (a month
    before the first partition is dropped).
    """
    if scheduled.tzinfo is None:
        scheduled = scheduled.replace(tzinfo=UTC)
    ends = (scheduled.astimezone(UTC) - lookback, scheduled.astimezone(UTC))
    keys = sorted({f"{end:%Y-%m}-01" for end in ends})
    with partition_loading_context(effective_dt=scheduled):
        return [key for key in keys if partitions.has_partition_key(key)]


def weekly_schedule(cron: str, partitions: PartitionsDefinition) -> ScheduleDefinition:
    try:

        @schedule(
            cron_schedule=cron,
            job=weekly_job,
            name="weekly_refresh",
            execution_timezone="UTC",
            default_status=DefaultScheduleStatus.RUNNING,
            description=(
                "Weekly delivery (SHOPPING_WEEKLY_CRON, default Monday 06:00 UTC): one weekly_job run per "
                "month partition the past 7 days touched."
            ),
        )
        def weekly_refresh(context: ScheduleEvaluationContext) -> list[RunRequest] | SkipReason:
            scheduled = context.scheduled_execution_time
            months = touched_months(scheduled, partitions)
            if not months:
                return SkipReason(f"{scheduled:%Y-%m-%d} is before the first partition ({partitions.start:%Y-%m})")
            # run_key = tick date + month: a re-evaluated tick never launches a second run.
            return [
                RunRequest(
                    run_key=f"weekly:{scheduled:%Y-%m-%dT%H:%M}:{key}",
                    partition_key=key,
                    tags={MONTH_ORDER_QUEUE: "weekly_refresh"},
                )
                for key in months  # oldest first: the queue launches them in this order
            ]

    except DagsterInvalidDefinitionError as exc:
        raise SettingsError(f"SHOPPING_WEEKLY_CRON={cron!r} is not a valid cron string") from exc
    return weekly_refresh


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    return dg.Definitions(
        schedules=[weekly_schedule(settings.weekly_cron, monthly_partitions(settings)), monthly_audit]
    )
