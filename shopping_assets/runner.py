"""Materialising the whole chain in this process: what `shopping-pipeline run` and the tests do."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dagster import DagsterInstance, Definitions

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def execute(
    defs: Definitions, job_name: str, instance: DagsterInstance, partition_key: str | None = None
) -> dict[str, dict]:
    """Run a job in this process; return each asset's materialisation metadata as plain values."""
    result = defs.resolve_job_def(job_name).execute_in_process(
        run_config=_QUIET, instance=instance, partition_key=partition_key
    )
    metadata = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        metadata[materialization.asset_key.to_user_string()] = {k: v.value for k, v in materialization.metadata.items()}
    return metadata


def materialise_all(
    defs: Definitions,
    instance: DagsterInstance,
    months: Iterable[str],
    on_month: Callable[[str, dict[str, dict]], None] | None = None,
) -> dict:
    """Reference tables, then every month partition, then the view; returns the view's metadata."""
    execute(defs, "reference_job", instance)
    for key in months:
        metadata = execute(defs, "transactions_job", instance, key)
        if on_month:
            on_month(key, metadata)
    return execute(defs, "publish_job", instance)["purchase_counts"]
