"""Everything that runs on its own, for Definitions: the weekly and monthly schedules and the sensors.

Wiring, in definitions.py:

    Definitions(assets=with_freshness(ASSETS), schedules=SCHEDULES, sensors=SENSORS, ...)

The schedules and the bucket sensor target their own jobs (`weekly_job`, `audit_job`,
`bucket_transactions_job`); Definitions picks those up from them, so they need no
entry in `jobs=`. Nothing here imports definitions.py, so it can import this module.
"""

from __future__ import annotations

from shopping_assets.alerts.freshness import with_freshness
from shopping_assets.alerts.sensors import freshness_alerts, run_failure_alerts
from shopping_assets.schedules import audit_job, monthly_audit, weekly_job, weekly_refresh
from shopping_assets.sensors import bucket_transactions_job, new_transaction_files

SCHEDULES = [weekly_refresh, monthly_audit]
SENSORS = [freshness_alerts, run_failure_alerts, new_transaction_files]
JOBS = [weekly_job, audit_job, bucket_transactions_job]  # already implied by SCHEDULES and SENSORS; listed for clarity

__all__ = ["JOBS", "SCHEDULES", "SENSORS", "with_freshness"]
