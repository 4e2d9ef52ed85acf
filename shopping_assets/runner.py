"""Materialising the whole chain in this process: what `shopping-pipeline run` and the tests do."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterInstance, Definitions, PartitionsDefinition

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RunOutcome:
    success: bool
    # asset -> its materialisation metadata, as plain values
    metadata: dict[str, dict] = field(default_factory=dict)
    # "asset.check" (and the bare check name) -> its evaluation (passed, severity, metadata)
    checks: dict[str, object] = field(default_factory=dict)
    # each failed step's last error message, and how many times steps were retried
    errors: dict[str, str] = field(default_factory=dict)
    retries: int = 0


def execute(
    defs: Definitions,
    job_name: str,
    instance: DagsterInstance,
    partition_key: str | None = None,
    raise_on_error: bool = True,
) -> RunOutcome:
    """Run a job in this process and collect what it materialised and checked."""
    result = defs.resolve_job_def(job_name).execute_in_process(
        run_config=_QUIET, instance=instance, partition_key=partition_key, raise_on_error=raise_on_error
    )
    outcome = RunOutcome(success=result.success)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        outcome.metadata[materialization.asset_key.to_user_string()] = {
            k: v.value for k, v in materialization.metadata.items()
        }
    for event in result.all_events:
        if event.is_step_failure:
            outcome.errors[event.step_key] = _messages(event.step_failure_data.error)
        elif event.is_step_up_for_retry:
            outcome.retries += 1
    for event in result.get_asset_check_evaluations():
        outcome.checks[event.check_name] = event
        outcome.checks[f"{event.asset_key.to_user_string()}.{event.check_name}"] = event
    return outcome


def _messages(error) -> str:
    """The error's message and its causes', outermost first ("Exceeded max_retries" hides the reason)."""
    messages = []
    while error is not None:
        messages.append(error.message.strip())
        error = error.cause
    return "\n".join(messages)


def materialise_all(
    defs: Definitions,
    instance: DagsterInstance,
    months: Iterable[str],
    on_month: Callable[[str, dict[str, dict]], None] | None = None,
) -> dict:
    """Reference tables, every month partition, the views and their audits, then the months' snapshots.

    Returns the all-time view's audit metadata (view rows, customers, products, basket
    lines counted). A failed run (a failed blocking check included) raises.
    """
    execute(defs, "reference_job", instance)
    keys = list(months)
    partitions = defs.resolve_asset_graph().get(AssetKey("transaction_items")).partitions_def
    for key in keys:
        outcome = execute(defs, "transactions_job", instance, key)
        if on_month:
            on_month(key, outcome.metadata)
    audit = execute(defs, "publish_job", instance).checks["purchase_counts.total_matches_items"]
    for key in snapshot_months(keys, partitions):
        execute(defs, "snapshot_job", instance, key)
    return {name: value.value for name, value in audit.metadata.items()}


def snapshot_months(months: Iterable[str], partitions: PartitionsDefinition) -> list[str]:
    """The months whose snapshots loading `months` changes: each, and the next (past midnight on a
    month's last day, a purchase is dated in the next month), where that is a partition."""
    touched = set(months)
    following = {partitions.get_next_partition_key(key) for key in touched} - {None}
    return sorted(touched | following)
