"""Alerting sensors: stale data (`freshness_alerts`) and failed runs (`run_failure_alerts`).

Both send through `notifiers_from_env()` (e-mail, Slack) and always log the alert
too, so with nothing configured the alerts still show in the sensors' tick logs.
Both are RUNNING by default: alerting that must be switched on is alerting nobody has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from logging import Logger

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    run_failure_sensor,
    sensor,
)

from shopping_assets.alerts.freshness import describe, evaluate, freshness_windows
from shopping_assets.alerts.notifiers import DeliveryError, Notifier, deliver, notifiers_from_env

SUBJECT_PREFIX = "[shopping-patterns]"
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def last_materializations(context: SensorEvaluationContext, names: list[str]) -> dict[str, datetime | None]:
    """Each asset's latest materialization time, any partition, from the instance's event log."""
    found: dict[str, datetime | None] = {}
    for name in names:
        event = context.instance.get_latest_materialization_event(AssetKey.from_user_string(name))
        found[name] = datetime.fromtimestamp(event.timestamp, timezone.utc) if event else None
    return found


def _sent(notifiers: list[Notifier], subject: str, body: str, log: Logger) -> bool:
    try:
        deliver(notifiers, f"{SUBJECT_PREFIX} {subject}", body, log)
    except DeliveryError as exc:
        log.error(f"{exc}; trying again next tick")
        return False
    return True


def build_freshness_sensor(clock: Clock = _utc_now, minimum_interval_seconds: int = 600) -> SensorDefinition:
    """The freshness sensor; `clock` is injectable because Dagster stamps events with real time."""

    @sensor(
        name="freshness_alerts",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Alerts once when raw_transaction_lines, transaction_items or purchase_counts becomes older than "
            "its freshness window (8 days; SHOPPING_FRESHNESS_HOURS), and once when it is fresh again."
        ),
    )
    def freshness_alerts(context: SensorEvaluationContext) -> SensorResult:
        # The cursor is the set of assets in an open incident: Dagster persists it, so
        # restarts neither repeat an alert nor forget an incident.
        alerted = set(json.loads(context.cursor)["alerted"]) if context.cursor else set()
        windows = freshness_windows()
        now = clock()
        last = last_materializations(context, sorted(windows))
        to_alert, recovered, incidents = evaluate(now, last, windows, alerted)
        notifiers = notifiers_from_env()
        lines = {name: describe(name, now, last[name], windows[name]) for name in windows}
        stale_text = "Older than its freshness window:\n" + "\n".join(lines[n] for n in to_alert)
        if to_alert and not _sent(notifiers, f"Stale data: {', '.join(to_alert)}", stale_text, context.log):
            incidents -= set(to_alert)  # not alerted yet: the next tick tries again
        fresh_text = "Recovered:\n" + "\n".join(lines[n] for n in recovered)
        if recovered and not _sent(notifiers, f"Fresh again: {', '.join(recovered)}", fresh_text, context.log):
            incidents |= set(recovered)  # the incident stays open until its end is delivered
        cursor = json.dumps({"alerted": sorted(incidents)})
        summary = f"open incidents: {sorted(incidents) or '-'}; new: {to_alert or '-'}; ended: {recovered or '-'}"
        return SensorResult(skip_reason=summary, cursor=cursor)

    return freshness_alerts


freshness_alerts = build_freshness_sensor()


def failure_message(context: RunFailureSensorContext) -> tuple[str, str]:
    run = context.dagster_run
    partition = run.tags.get("dagster/partition", "none")
    steps = context.get_step_failure_events()
    error = steps[0].step_failure_data.error if steps else None
    while error is not None and error.cause is not None:
        error = error.cause  # the user's exception, not Dagster's "Error occurred while executing op" wrapper
    text = error.message if error else (context.failure_event.message or "")
    subject = f"{SUBJECT_PREFIX} Run failed: {run.job_name} (partition {partition})"
    body = f"job: {run.job_name}\nrun id: {run.run_id}\npartition: {partition}\nerror: {headline(text)}"
    return subject, body


_MODULE_PATH = re.compile(r"^(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_]\w*: )")


def headline(text: str, most: int = 3) -> str:
    """An error's first line; a first line ending in a colon introduces what it is about, so
    up to `most` lines after it come along. Dagster's failed blocking checks read
    "1 blocking asset check failed with ERROR severity:" / "transaction_items: quarantine_rate"."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "no error message"
    lines[0] = _MODULE_PATH.sub("", lines[0])  # "dagster._core.errors.X: ..." -> "X: ..."
    return " ".join(lines[: 1 + most]) if lines[0].endswith(":") else lines[0]


@run_failure_sensor(
    name="run_failure_alerts",
    default_status=DefaultSensorStatus.RUNNING,
    description="One alert per failed run: job, run id, partition and the error's first line.",
)
def run_failure_alerts(context: RunFailureSensorContext) -> None:
    # A DeliveryError propagates: Dagster attaches it to the failed run and the tick, so
    # an undelivered alert is at least visible in the UI (run-status sensors do not retry).
    deliver(notifiers_from_env(), *failure_message(context), context.log)
