"""The Dagster instance's dagster.yaml, as the CLI writes it for the embedded deployment.

No telemetry: the embedded deployment runs offline. The run queue lets one run tagged
MONTH_ORDER_QUEUE run at a time, first requested first, so runs that reload months
never overlap out of order: the weekly run (schedules.py) and the bucket sensor's
loads (bucket_sensor.py), one of which may reload a month another's snapshot reads
(a month's snapshot counts the previous month's purchases past midnight on its last
day). A production instance needs the same `run_queue` entry in its own dagster.yaml;
the schedule and the sensor refuse to request runs on an instance without it.
"""

from __future__ import annotations

from shopping_assets.errors import UserFacingError

MONTH_ORDER_QUEUE = "shopping/month-order"

RUN_QUEUE_CONFIG = f"""\
run_queue:
  tag_concurrency_limits:
    - key: {MONTH_ORDER_QUEUE}
      limit: 1
"""
_NO_TELEMETRY = "telemetry:\n  enabled: false\n"
# the queue is looked at every second (Dagster's default is 5), so a run launched from the UI
# starts within a second of its turn
INSTANCE_CONFIG = _NO_TELEMETRY + RUN_QUEUE_CONFIG + "  dequeue_interval_seconds: 1\n"

# What earlier versions of the CLI wrote; an instance holding one of them gets the current config.
PREVIOUS_CONFIGS = (
    _NO_TELEMETRY,
    _NO_TELEMETRY + RUN_QUEUE_CONFIG.replace(MONTH_ORDER_QUEUE, "shopping/weekly"),
    _NO_TELEMETRY + RUN_QUEUE_CONFIG,
)


class MonthOrderQueueMissing(UserFacingError):
    """The instance would start month-order runs side by side."""


def require_month_order_queue(instance) -> None:
    """Fail, saying what to add, unless the instance's run queue runs MONTH_ORDER_QUEUE runs one at a time."""
    queue = instance.get_concurrency_config().run_queue_config
    limits = queue.tag_concurrency_limits if queue else []
    if not any(limit.get("key") == MONTH_ORDER_QUEUE and limit.get("limit") == 1 for limit in limits or []):
        raise MonthOrderQueueMissing(
            f"this Dagster instance ({instance.root_directory}/dagster.yaml) does not run the month-order queue one "
            f"run at a time, so runs reloading months could overlap out of order; add\n{RUN_QUEUE_CONFIG}"
            "to it (docs/deploy.md) and restart the daemon"
        )
