"""`run_failure_alerts`: one alert per failed run, with its job, partition, the error that
stopped it (a failed blocking check by name) and a link to the run in the UI."""

from __future__ import annotations

import re

import dagster as dg
from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from shopping_assets.defs.alerts.notifiers import Alerts

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


def failure_message(context: RunFailureSensorContext, alerts: Alerts) -> tuple[str, str]:
    run = context.dagster_run
    partition = run.tags.get("dagster/partition", "none")
    steps = context.get_step_failure_events()
    error = steps[0].step_failure_data.error if steps else None
    while error is not None and error.cause is not None:
        error = error.cause  # the user's exception, not Dagster's "Error occurred while executing op" wrapper
    text = error.message if error else (context.failure_event.message or "")
    subject = f"Run failed: {run.job_name} (partition {partition})"
    body = (
        f"job: {run.job_name}\nrun id: {run.run_id}\npartition: {partition}\n"
        f"run: {alerts.link(f'runs/{run.run_id}')}\nerror: {headline(text)}"
    )
    return subject, body


@run_failure_sensor(
    name="run_failure_alerts",
    default_status=DefaultSensorStatus.RUNNING,
    description="One alert per failed run: job, run id, partition, the error's first line and a link to the run.",
)
def run_failure_alerts(context: RunFailureSensorContext, alerts: Alerts) -> None:
    # A DeliveryError propagates: Dagster attaches it to the failed run and the tick, so
    # an undelivered alert is at least visible in the UI (run-status sensors do not retry).
    alerts.deliver(*failure_message(context, alerts), context.log)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[run_failure_alerts])
