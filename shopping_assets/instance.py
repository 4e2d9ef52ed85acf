"""The Dagster instance's dagster.yaml, as the CLI writes it for the embedded deployment.

No telemetry: the embedded deployment runs offline. The run queue lets one run tagged
MONTH_ORDER_QUEUE run at a time, first requested first, so runs that must follow
month order do: the two weekly runs of a week that spans a month end (schedules.py),
and the bucket sensor's month loads and snapshot refreshes (sensors.py). A month's
snapshot counts the previous month's purchases past midnight on its last day, so it
must be written after that month has loaded. A production instance needs the same
`run_queue` entry in its own dagster.yaml.
"""

MONTH_ORDER_QUEUE = "shopping/month-order"

INSTANCE_CONFIG = f"""\
telemetry:
  enabled: false
run_queue:
  tag_concurrency_limits:
    - key: {MONTH_ORDER_QUEUE}
      limit: 1
"""

# What earlier versions of the CLI wrote; an instance holding one of them gets the current config.
PREVIOUS_CONFIGS = (
    "telemetry:\n  enabled: false\n",
    INSTANCE_CONFIG.replace(MONTH_ORDER_QUEUE, "shopping/weekly"),
)
