"""The weekly delivery (Monday 06:00 UTC, for the months the past week touched) and the monthly audit.

Design. `weekly_job` is the month's snapshot plus everything upstream of it (reference
tables, the month's transaction chain, the views), and the weekly view too. Dagster
allows unpartitioned assets in a run that has a partition key or range: they
materialize unpartitioned, the partitioned ones for those months, and the run orders
the steps by dependency, so the views are recreated after the months have loaded and
the snapshots are written last. A tick therefore requests one self-contained run, for
the month the past week touched or, when the week spans a month end, for both months
as a range: the later month's snapshot is written after the earlier month has loaded
(it counts the purchases that month's last file dates past midnight into it). Every
step works on those months or on small tables, so a weekly run costs the same with a
month of history as with years of it.

The run carries the MONTH_ORDER_QUEUE tag, which the instance's run queue limits to
one run at a time (instance.py), so it never overlaps a bucket-sensor run reloading
the same months out of order; a tick on an instance without that limit fails, saying
what to add to dagster.yaml.

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
from shopping_assets.instance import MONTH_ORDER_QUEUE, require_month_order_queue
from shopping_assets.partitions import month_run_request, monthly_partitions
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
                "Weekly delivery (SHOPPING_WEEKLY_CRON, default Monday 06:00 UTC): one weekly_job run over the "
                "month partitions the past 7 days touched."
            ),
        )
        def weekly_refresh(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
            require_month_order_queue(context.instance)
            scheduled = context.scheduled_execution_time
            months = touched_months(scheduled, partitions)
            if not months:
                return SkipReason(f"{scheduled:%Y-%m-%d} is before the first partition ({partitions.start:%Y-%m})")
            # run_key = the tick's time: a re-evaluated tick never launches a second run
            return month_run_request(
                f"weekly:{scheduled:%Y-%m-%dT%H:%M}", months, {MONTH_ORDER_QUEUE: "weekly_refresh"}
            )

    except DagsterInvalidDefinitionError as exc:
        raise SettingsError(f"SHOPPING_WEEKLY_CRON={cron!r} is not a valid cron string") from exc
    return weekly_refresh


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    return dg.Definitions(
        schedules=[weekly_schedule(settings.weekly_cron, monthly_partitions(settings)), monthly_audit]
    )
