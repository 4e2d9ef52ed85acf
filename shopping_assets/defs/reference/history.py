"""customers_history and products_history: type-2 history of the reference tables, in STAGING.

Which clock a table's history keeps is the input folder's to say, per file:
- no dated snapshots: each materialisation records the current file, which `raw_customers`
  / `raw_products` has just loaded, as of the load's time (VALID_FROM: when a change was loaded);
- dated snapshots (`reference/d=YYYY-MM-DD/<file>`): the history is theirs, each as of its day,
  the new ones loaded oldest first. The current file is today's views' (it should be the latest
  snapshot; a check warns when it is not), and is not recorded: a load-time version would date
  every later snapshot of an earlier day before the history's latest load, which is refused.
See `shopping_assets.reference_history`. The two checks here read current versions only, as the
weekly run must; the whole-history check of validity intervals is an audit (`audit_job`).
"""

from datetime import UTC, datetime

import dagster as dg
from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    MaterializeResult,
    RetryPolicy,
    asset,
    asset_check,
)

from shopping_assets import quality, reference_history, reference_snapshots
from shopping_assets.errors import not_retried
from shopping_assets.metadata import definition, markdown_table
from shopping_assets.reference_history import HISTORIES, History, Recorded
from shopping_assets.resources.input_data import InputData
from shopping_assets.resources.lake import Lake
from shopping_assets.resources.warehouse import Warehouse
from shopping_assets.retries import service_retry
from shopping_assets.settings import Settings

# whole-history checks, for the jobs that run them (audit_job, publish_job) or leave them out
HISTORY_AUDITS = AssetSelection.checks(*(AssetCheckKey(AssetKey(h.asset), "valid_intervals") for h in HISTORIES))


def _loads_table(recorded: list[Recorded]) -> dg.MetadataValue:
    rows = [
        (r.as_of, "dated" if r.dated else "load time", r.source_file, r.valid_rows, r.opened, r.closed)
        for r in recorded
    ]
    return markdown_table(("as of", "dated by", "file", "valid rows", "opened", "closed"), rows)


def _matches_file(file_name: str, dated: bool, not_in_file: int, not_current: int) -> AssetCheckResult:
    """Undated, the current file has just been recorded: a difference is an error. Dated, the history
    is the snapshots': a current file that differs from the latest one is not in the history yet."""
    passed = not_in_file == 0 and not_current == 0
    metadata = {"current versions not in the file": not_in_file, "file rows without a current version": not_current}
    if dated and not passed:
        metadata["what to do"] = (
            f"{file_name} differs from the latest dated snapshot: the history (and the views as purchased) will "
            f"see the change once it is in a snapshot, reference/d=YYYY-MM-DD/{file_name}"
        )
    return AssetCheckResult(
        check_name="current_matches_file",
        passed=passed,
        severity=AssetCheckSeverity.WARN if dated else AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


# what a history load runs, for its code references and code version
HISTORY_SQL = (
    "staging/reference_history_changes",
    "staging/reference_history_close",
    "staging/reference_history_open",
    "staging/reference_history_current",
    "staging/reference_history_preview",
    "metadata/table_bytes",
)


def history_asset(history: History, retry: RetryPolicy, database: str) -> AssetsDefinition:
    ref, table = history.ref, history.table
    values = ", ".join(ref.columns[1:])

    @asset(
        name=history.asset,
        retry_policy=retry,
        deps=[AssetKey(f"raw_{ref.name}")],
        group_name="staging",
        kinds={"snowflake"},
        description=(
            f"STAGING.{table.name}: every version of each {ref.columns[0]}'s {values}, valid from VALID_FROM to "
            "VALID_TO (empty while current). A load closes changed and missing ids' versions and opens new ones. "
            f"VALID_FROM is when {ref.file_name} was loaded or, when the input folder has dated snapshots "
            f"(reference/d=YYYY-MM-DD/{ref.file_name}), the snapshot's day: the new ones are loaded oldest first. "
            "What MART's *_AS_PURCHASED views read."
        ),
        **definition(history_asset, HISTORY_SQL, table, database),
        check_specs=[
            AssetCheckSpec(
                "one_current_version_per_id",
                asset=history.asset,
                blocking=True,
                description=f"No {ref.columns[0]} has two current versions (it would count its purchases twice).",
            ),
            AssetCheckSpec(
                "current_matches_file",
                asset=history.asset,
                blocking=True,
                description=(
                    f"The current versions are exactly {ref.file_name}'s valid rows (STAGING.{ref.table}); with "
                    "dated snapshots, warns when the current file differs from the latest snapshot."
                ),
            ),
        ],
    )
    def history_table(context: AssetExecutionContext, input_data: InputData, lake: Lake, warehouse: Warehouse):
        with not_retried():
            files = input_data.reference_snapshots(ref.file_name)
            for path in files.values():
                quality.check_csv(path, ref.columns)  # a malformed file stops the load, as the current one does
        names = history.identifiers
        with warehouse.session() as session:
            loaded = reference_history.dated_loads(session, history)
            latest = reference_history.latest(session, history)
            with not_retried():
                plan = reference_snapshots.plan(files, loaded, latest, datetime.now(UTC).date())
            recorded = []
            for snapshot in plan.pending:
                lake.mirror({snapshot.key: snapshot.path}, snapshot.key)
                recorded.append(
                    reference_history.record_snapshot(session, history, snapshot, lake.prefix + snapshot.key)
                )
            if not files:  # undated: the current file, which raw_<table> has just loaded, as of now
                recorded.append(reference_history.record_current(session, history, lake.prefix + ref.key))
            versions, current, repeated, not_in_file, not_current = (
                int(n) for n in session.rows("staging/reference_history_current", names)[0]
            )
            preview = session.rows("staging/reference_history_preview", names)
            size = session.size(table)
        opened, closed = sum(r.opened for r in recorded), sum(r.closed for r in recorded)
        context.log.info(f"STAGING.{table.name}: {len(recorded)} loads, {opened} versions opened, {closed} closed")
        rejected: dict[str, int] = {}
        for r in recorded:
            for reason, n in r.rejected.items():
                rejected[reason] = rejected.get(reason, 0) + n
        return MaterializeResult(
            metadata={
                "dagster/row_count": versions,
                **size,
                "current versions": current,
                "versions opened": opened,
                "versions closed": closed,
                "dated by": "snapshot day" if files else "load time",
                "snapshots loaded": len(plan.pending),
                "snapshots already loaded": plan.skipped,
                "snapshot rows rejected": rejected,
                "loads": _loads_table(recorded),
                "table": warehouse.table("STAGING", table.name),
                "preview (current, newest first)": markdown_table(
                    (*(c.upper() for c in ref.columns), "VALID_FROM"), preview
                ),
            },
            check_results=[
                AssetCheckResult(
                    check_name="one_current_version_per_id",
                    passed=repeated == 0,
                    metadata={"ids with several current versions": repeated},
                ),
                _matches_file(ref.file_name, bool(files), not_in_file, not_current),
            ],
        )

    return history_table


def intervals_audit(history: History, retry: RetryPolicy) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(history.asset),
        name="valid_intervals",
        blocking=True,
        retry_policy=retry,
        description=(
            "Whole history: every version ends after it starts, IS_CURRENT is set exactly on open versions, and no "
            f"two versions of one {history.ref.columns[0]} overlap."
        ),
    )
    def valid_intervals(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.session() as session:
            versions, backwards, flag, overlapping = (
                int(n) for n in session.rows("staging/reference_history_intervals", history.identifiers)[0]
            )
        return AssetCheckResult(
            passed=backwards == overlapping == flag == 0,
            metadata={
                "versions": versions,
                "ending before they start": backwards,
                "IS_CURRENT disagreeing with VALID_TO": flag,
                "overlapping the previous version": overlapping,
            },
        )

    return valid_intervals


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    retry = service_retry(settings)
    return dg.Definitions(
        assets=[history_asset(h, retry, settings.database) for h in HISTORIES],
        asset_checks=[intervals_audit(h, retry) for h in HISTORIES],
    )
