"""Materialising the whole chain in this process: what `shopping-pipeline run` and the tests do."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterInstance, Definitions, PartitionKeyRange, PartitionsDefinition

from shopping_assets.partitions import range_tags

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RunOutcome:
    success: bool
    # asset -> its last materialisation's metadata, as plain values
    metadata: dict[str, dict] = field(default_factory=dict)
    # (asset, partition key) -> that partition's materialisation metadata
    partitions: dict[tuple[str, str], dict] = field(default_factory=dict)
    # "asset.check" (and the bare check name) -> its last evaluation (passed, severity, metadata);
    # (that, partition key) -> the partition's
    checks: dict = field(default_factory=dict)
    # each failed step's last error message, and how many times steps were retried
    errors: dict[str, str] = field(default_factory=dict)
    retries: int = 0


def execute(
    defs: Definitions,
    job_name: str,
    instance: DagsterInstance,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    partition_range: tuple[str, str] | None = None,
) -> RunOutcome:
    """Run a job in this process, for no partition, one, or a range (first, last), and collect
    what it materialised and checked."""
    tags = range_tags(*partition_range) if partition_range else None
    result = defs.resolve_job_def(job_name).execute_in_process(
        run_config=_QUIET, instance=instance, partition_key=partition_key, tags=tags, raise_on_error=raise_on_error
    )
    outcome = RunOutcome(success=result.success)
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        values = {k: v.value for k, v in materialization.metadata.items()}
        outcome.metadata[materialization.asset_key.to_user_string()] = values
        if materialization.partition:
            outcome.partitions[(materialization.asset_key.to_user_string(), materialization.partition)] = values
    for event in result.all_events:
        if event.is_step_failure:
            outcome.errors[event.step_key] = _messages(event.step_failure_data.error)
        elif event.is_step_up_for_retry:
            outcome.retries += 1
    for evaluation in result.get_asset_check_evaluations():
        for name in (evaluation.check_name, f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}"):
            outcome.checks[name] = evaluation
            if evaluation.partition:
                outcome.checks[(name, evaluation.partition)] = evaluation
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
    on_month: Callable[[str, RunOutcome], None] | None = None,
    months_per_run: int = 0,
) -> dict:
    """Reference tables, the months (one run for the range, or runs of `months_per_run`), the views,
    the months' snapshots, then the whole-history audits.

    The months run as a range from the first to the last: a month between them with no
    files is loaded as empty. Returns the all-time view's audit metadata (view rows,
    customers, products, basket lines counted). A failed run (a failed blocking check
    included) raises.
    """
    keys = sorted(months)
    partitions = defs.resolve_asset_graph().get(AssetKey("transaction_items")).partitions_def
    span = partitions.get_partition_keys_in_range(PartitionKeyRange(keys[0], keys[-1]))
    for chunk in _chunks(span, months_per_run or len(span)):
        outcome = execute(defs, "weekly_job", instance, partition_range=(chunk[0], chunk[-1]))
        if on_month:
            for key in chunk:
                on_month(key, outcome)
    following = [key for key in snapshot_months(keys, partitions) if key not in span]
    for key in following:
        execute(defs, "snapshot_job", instance, key)
    audit = execute(defs, "audit_job", instance).checks["purchase_counts.total_matches_items"]
    return {name: value.value for name, value in audit.metadata.items()}


def _chunks(keys: Sequence[str], size: int) -> list[Sequence[str]]:
    return [keys[start : start + size] for start in range(0, len(keys), size)]


def snapshot_months(months: Iterable[str], partitions: PartitionsDefinition) -> list[str]:
    """The months whose snapshots loading `months` changes: each, and the next (past midnight on a
    month's last day, a purchase is dated in the next month), where that is a partition."""
    touched = set(months)
    following = {partitions.get_next_partition_key(key) for key in touched} - {None}
    return sorted(touched | following)
