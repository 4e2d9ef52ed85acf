"""How fresh the data must be, in Dagster's own terms, and the alerts that follow from it.

The weekly run loads on Monday at 06:00 UTC; by the deadline (Monday 12:00 UTC,
SHOPPING_FRESHNESS_DEADLINE_CRON) every monitored asset must have been materialized
in the hours before it (SHOPPING_FRESHNESS_LOWER_BOUND_HOURS, 6: since the run's
start). That is a `FreshnessPolicy.cron`, put on the assets with Dagster's
`apply_freshness_policy`; the daemon judges it and the UI shows it. Dagster judges a
partitioned asset by its latest materialization of any partition (a backfill of 2015
would pass), so the partitioned ones also get Dagster's time-partition freshness
check, judged on the latest month, run by its own sensor.

`freshness_alerts` follows both, as the daemon and the checks record them: the
policy's state changes (WARN or FAIL starts an incident, PASS ends it) and the
checks' results. One alert when an incident starts, one when it ends, each with a
link to the asset in the UI. Open-source Dagster sends no alerts of its own.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from datetime import timedelta

import dagster as dg
from dagster import (
    AssetKey,
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    FreshnessPolicy,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
)

from shopping_assets.defs.alerts.notifiers import Alerts, DeliveryError
from shopping_assets.settings import Settings

# What the data scientists read, directly or not; the partitioned ones are judged per month too.
MONITORED = ("raw_transaction_lines", "transaction_items", "purchase_counts", "purchase_counts_snapshot")
PARTITIONED = ("raw_transaction_lines", "transaction_items", "purchase_counts_snapshot")
LATEST_MONTH_CHECK = "freshness_check"  # the name Dagster's time-partition freshness checks carry
# They are the freshness sensor's to run; a job that loads an old month must not judge the latest one.
LATEST_MONTH_CHECKS = dg.AssetSelection.checks(
    *(dg.AssetCheckKey(AssetKey(n), LATEST_MONTH_CHECK) for n in PARTITIONED)
)
BAD = {"WARN", "FAIL"}
PAGE = 500  # events read per tick and kind


def freshness_policy(settings: Settings) -> FreshnessPolicy:
    return FreshnessPolicy.cron(
        deadline_cron=settings.freshness_deadline_cron,
        lower_bound_delta=timedelta(hours=settings.freshness_lower_bound_hours),
        timezone="UTC",
    )


def with_freshness(defs: dg.Definitions, settings: Settings) -> dg.Definitions:
    """`defs` with the policy on the monitored assets, the latest-month checks and their sensor."""
    policy = freshness_policy(settings)
    # Dagster marks map_resolved_asset_specs as preview and the time-partition checks as
    # superseded by FreshnessPolicy; the policy alone cannot judge the latest partition.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=dg.PreviewWarning)
        warnings.simplefilter("ignore", category=dg.SupersessionWarning)
        defs = defs.map_resolved_asset_specs(
            func=lambda spec: dg.apply_freshness_policy(spec, policy), selection=dg.AssetSelection.assets(*MONITORED)
        )
        checks = dg.build_time_partition_freshness_checks(
            assets=[AssetKey(name) for name in PARTITIONED],
            deadline_cron=settings.freshness_deadline_cron,
            timezone="UTC",
            severity=dg.AssetCheckSeverity.WARN,
        )
        latest_month = dg.build_sensor_for_freshness_checks(
            freshness_checks=checks,
            name="latest_month_freshness",
            minimum_interval_seconds=600,
            default_status=DefaultSensorStatus.RUNNING,
        )
    return dg.Definitions.merge(defs, dg.Definitions(asset_checks=checks, sensors=[latest_month]))


# --- the alerting sensor -------------------------------------------------------------


def _records(context: SensorEvaluationContext, event_type: DagsterEventType, after: int | None):
    # the storage's own reader: the instance's is deprecated, its replacements skip runless events
    return context.instance.event_log_storage.get_event_records(
        EventRecordsFilter(event_type=event_type, after_cursor=after), limit=PAGE, ascending=True
    )


def read_signals(context: SensorEvaluationContext, state: dict) -> dict:
    """The state with the freshness changes and latest-month results recorded since its cursors."""
    signals = {name: dict(value) for name, value in state["signals"].items()}
    policy = _records(context, DagsterEventType.FRESHNESS_STATE_CHANGE, state["policy_cursor"])
    for record in policy:
        change = record.event_log_entry.dagster_event.event_specific_data
        name = change.key.to_user_string()
        if name in MONITORED:
            signals.setdefault(name, {})["policy"] = change.new_state.value
    checks = _records(context, DagsterEventType.ASSET_CHECK_EVALUATION, state["check_cursor"])
    for record in checks:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        name = evaluation.asset_key.to_user_string()
        if evaluation.check_name == LATEST_MONTH_CHECK and name in PARTITIONED:
            signals.setdefault(name, {})["latest_month"] = "PASS" if evaluation.passed else "FAIL"
    return {
        **state,
        "signals": signals,
        "policy_cursor": policy[-1].storage_id if policy else state["policy_cursor"],
        "check_cursor": checks[-1].storage_id if checks else state["check_cursor"],
    }


def incidents(signals: Mapping[str, Mapping[str, str]], alerted: set[str]) -> tuple[list[str], list[str]]:
    """(assets whose incident starts, assets whose incident ends): an asset is in an incident while
    its policy is WARN or FAIL or its latest month failed its check; UNKNOWN judges nothing."""
    stale = {name for name, kinds in signals.items() if set(kinds.values()) & BAD}
    fresh = {name for name, kinds in signals.items() if kinds and not set(kinds.values()) & BAD}
    return sorted(stale - alerted), sorted(fresh & alerted)


KIND = {"policy": "freshness policy", "latest_month": "latest month"}


def describe(name: str, kinds: Mapping[str, str], alerts: Alerts) -> str:
    what = ", ".join(f"{KIND[kind]} {value}" for kind, value in sorted(kinds.items()))
    return f"{name}: {what} ({alerts.link(f'assets/{name}')})"


def _sent(alerts: Alerts, subject: str, body: str, context: SensorEvaluationContext) -> bool:
    try:
        alerts.deliver(subject, body, context.log)
    except DeliveryError as exc:
        context.log.error(f"{exc}; trying again next tick")
        return False
    return True


def evaluate(context: SensorEvaluationContext, alerts: Alerts, rule: str) -> SensorResult:
    empty = {"signals": {}, "alerted": [], "policy_cursor": None, "check_cursor": None}
    state = read_signals(context, json.loads(context.cursor) if context.cursor else empty)
    alerted = set(state["alerted"])
    starting, ending = incidents(state["signals"], alerted)
    if starting:
        body = f"Not fresh ({rule}):\n" + "\n".join(describe(n, state["signals"][n], alerts) for n in starting)
        if _sent(alerts, f"Stale data: {', '.join(starting)}", body, context):
            alerted |= set(starting)
    if ending:
        body = "Fresh again:\n" + "\n".join(describe(n, state["signals"][n], alerts) for n in ending)
        if _sent(alerts, f"Fresh again: {', '.join(ending)}", body, context):
            alerted -= set(ending)
    state["alerted"] = sorted(alerted)
    summary = f"open incidents: {state['alerted'] or '-'}; new: {starting or '-'}; ended: {ending or '-'}"
    return SensorResult(skip_reason=summary, cursor=json.dumps(state))


def freshness_sensor(settings: Settings) -> SensorDefinition:
    rule = (
        f"due by {settings.freshness_deadline_cron} UTC (cron), materialized in the "
        f"{settings.freshness_lower_bound_hours} hours before"
    )

    @dg.sensor(
        name="freshness_alerts",
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Alerts once when a monitored asset goes stale (its freshness policy WARN or FAIL, or its latest "
            "month failing its freshness check) and once when it is fresh again."
        ),
    )
    def freshness_alerts(context: SensorEvaluationContext, alerts: Alerts) -> SensorResult:
        return evaluate(context, alerts, rule)

    return freshness_alerts


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[freshness_sensor(Settings.from_env())])
