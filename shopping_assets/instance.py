"""The Dagster instance's dagster.yaml, as the CLI writes it for the embedded deployment.

No telemetry: the embedded deployment runs offline. The run queue lets one run tagged
WEEKLY_QUEUE run at a time, so the two weekly runs of a week that spans a month end
run in the order the schedule requests them (see schedules.py). A production
instance needs the same `run_queue` entry in its own dagster.yaml.
"""

WEEKLY_QUEUE = "shopping/weekly"

INSTANCE_CONFIG = f"""\
telemetry:
  enabled: false
run_queue:
  tag_concurrency_limits:
    - key: {WEEKLY_QUEUE}
      limit: 1
"""
