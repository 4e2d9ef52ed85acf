"""Alerting: where alerts go (`notifiers`), stale data (`freshness`) and failed runs (`run_failure_sensor`)."""
