"""What a step over a range of month partitions reports, month by month.

A ranged step (a backfill's single run, `shopping-pipeline run`) records one
materialisation per month; Dagster copies the step's MaterializeResult metadata to
each, so each month's own figures go in through `add_asset_metadata(partition_key=)`.
Its check results would be recorded once, for no month: each month's are recorded
here as evaluations of that month, aimed at that month's materialisation, so the
Checks tab keeps every month's history and a blocking check that fails for any month
still fails the step.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    MaterializeResult,
    Output,
    PartitionsDefinition,
    PreviewWarning,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)


@dataclass
class MonthResult:
    metadata: dict[str, object] = field(default_factory=dict)
    checks: list[AssetCheckResult] = field(default_factory=list)


def partitioned_check(
    name: str, asset: str, description: str, partitions: PartitionsDefinition, blocking: bool = False
) -> AssetCheckSpec:
    """A check of a monthly asset whose results are kept per month (the UI's Checks tab by partition)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)  # partitioned checks are a preview in 1.13
        return AssetCheckSpec(name, asset=asset, description=description, blocking=blocking, partitions_def=partitions)


def months_of(context: AssetExecutionContext) -> list[str]:
    """The run's month partition keys, one or a range, in order."""
    return list(context.partition_keys)


def month_range(months: Sequence[str]) -> dict[str, str]:
    """The bound values of the SQL that works on a range of months: its first and last partition keys."""
    return {"first_month": months[0], "last_month": months[-1]}


def report(
    context: AssetExecutionContext,
    results: Mapping[AssetKey, Mapping[str, MonthResult]],
    metadata: Mapping[AssetKey, dict[str, object]] | None = None,
) -> Iterator:
    """Yield the step's materialisations (each month's metadata on its own), then each month's checks."""
    for key, months in results.items():
        for month, result in months.items():
            context.add_asset_metadata(result.metadata, asset_key=key, partition_key=month)
    for key in results:
        yield MaterializeResult(asset_key=key, metadata=(metadata or {}).get(key, {}))
    selected = {(check.asset_key, check.name) for check in context.selected_asset_check_keys}
    blocking = {(spec.asset_key, spec.name): spec.blocking for spec in context.assets_def.check_specs}
    for key, months in results.items():
        for month, result in months.items():
            target = _materialization(context, key, month)
            for check in result.checks:
                if (key, check.check_name) in selected:
                    yield _evaluation(key, month, check, blocking[(key, check.check_name)], target)
    for check_key in sorted(context.selected_asset_check_keys, key=str):
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(check_key))


def _evaluation(
    key: AssetKey,
    month: str,
    check: AssetCheckResult,
    blocking: bool,
    target: AssetCheckEvaluationTargetMaterializationData | None,
) -> AssetCheckEvaluation:
    return AssetCheckEvaluation(
        asset_key=key,
        check_name=check.check_name,
        passed=check.passed,
        metadata=check.metadata,
        severity=check.severity,
        description=check.description,
        blocking=blocking,
        partition=month,
        target_materialization_data=target,
    )


def _materialization(
    context: AssetExecutionContext, key: AssetKey, month: str
) -> AssetCheckEvaluationTargetMaterializationData | None:
    """The month's materialisation this step just recorded: its checks are about that one."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[month]), limit=1
    ).records
    if not records:
        return None
    record = records[0]
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
    )


def by_month(rows: Sequence[tuple], months: Sequence[str]) -> dict[str, list[tuple]]:
    """Rows whose first column is a month (a date) grouped by partition key, every month present."""
    grouped: dict[str, list[tuple]] = {month: [] for month in months}
    for month, *rest in rows:
        grouped[str(month)[:10]].append(tuple(rest))
    return grouped
