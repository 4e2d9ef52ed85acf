"""`new_transaction_files`: load a month whenever its objects in the bucket change (OFF by default).

For deployments where an upstream system drops day files straight into
`s3://BUCKET/PREFIX/transactions/YYYY/MM/` instead of the input folder.

What it runs. `bucket_transactions_job` is RAW lines, basket items, the three views
and the months' snapshots (everything downstream of the bucket but the whole-history
audits), one run for each run of consecutive changed months (a partition range, so a
first tick over a bucket of years is one run); the run orders load before views. It deliberately
leaves out `transaction_objects`: that asset mirrors the *input folder* into the bucket
and would delete the very objects that triggered the run. A month's last file also
dates purchases past midnight into the next month, so when month M changes and M+1
has objects too (and is not itself reloaded), a `snapshot_job` run rewrites M+1's
snapshot after M's run. Every run carries the month-order queue tag (instance.py):
they run one at a time, oldest month first, so a month's snapshot is never written
before the previous month has loaded; a tick on an instance without that queue fails,
saying what to add to dagster.yaml.

What counts as a change. Each tick lists the whole `transactions/` prefix (paginated;
under 1000 objects a year) and digests each month folder's (key, ETag) pairs. A
month whose digest differs from the cursor's is requested: new, rewritten and
deleted day files all count, late files for old days too (a `StartAfter` high-water
mark would miss those). Re-uploading identical bytes keeps the ETag, so the
pipeline's own uploads of unchanged files trigger nothing.

The cursor, `{"seq": n, "months": {month: digest}}`, is persisted by Dagster, so a
restart misses nothing. Run keys are `month:seq:digest`: a tick re-evaluated from
the same cursor (a crash before the cursor was saved) asks for the same keys and
Dagster launches nothing twice; `seq` grows with every change so a month that goes
back to earlier contents still reloads. With no cursor (first start or a reset) every
month in the bucket is requested once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

import dagster as dg
from dagster import (
    DefaultSensorStatus,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from shopping_assets.defs.jobs import bucket_transactions_job, snapshot_job
from shopping_assets.instance import MONTH_ORDER_QUEUE, require_month_order_queue
from shopping_assets.partitions import month_run_request, monthly_partitions
from shopping_assets.resources.lake import Lake, objects_digest
from shopping_assets.settings import Settings

FOLDER = "transactions/"
_MONTH_FOLDER = re.compile(r"^transactions/(\d{4})/(0[1-9]|1[0-2])/")


def month_digests(lake: Lake) -> tuple[dict[str, str], list[str]]:
    """(month partition key -> digest of its objects' keys and ETags, keys outside any month folder)."""
    entries: dict[str, dict[str, str]] = {}
    ignored: list[str] = []
    for key, etag in lake.list_keys(lake.client(), FOLDER).items():
        match = _MONTH_FOLDER.match(key)
        if match:
            entries.setdefault(f"{match[1]}-{match[2]}-01", {})[key] = etag
        else:
            ignored.append(key)
    # the same digest raw_transaction_lines compares with the upload's
    return {month: objects_digest(etags) for month, etags in entries.items()}, ignored


def changed_months(previous: Mapping[str, str], current: Mapping[str, str]) -> dict[str, str]:
    """Months whose contents differ, with their new digest; a month emptied since has the empty digest."""
    months = set(previous) | set(current)
    return {m: current.get(m, objects_digest({})) for m in sorted(months) if previous.get(m) != current.get(m)}


def bucket_sensor(partitions: PartitionsDefinition) -> SensorDefinition:
    @sensor(
        name="new_transaction_files",
        jobs=[bucket_transactions_job, snapshot_job],
        minimum_interval_seconds=300,
        default_status=DefaultSensorStatus.STOPPED,
        description=(
            "Loads a month (RAW lines, items, views, snapshot) when its objects under transactions/ in the bucket "
            "change, then rewrites the next month's snapshot."
        ),
    )
    def new_transaction_files(context: SensorEvaluationContext, lake: Lake) -> SensorResult:
        return evaluate(context, lake, partitions)

    return new_transaction_files


def evaluate(context: SensorEvaluationContext, lake: Lake, partitions: PartitionsDefinition) -> SensorResult:
    require_month_order_queue(context.instance)
    state = json.loads(context.cursor) if context.cursor else {"seq": 0, "months": {}}
    current, ignored = month_digests(lake)
    if ignored:
        context.log.warning(f"ignored {len(ignored)} objects outside transactions/YYYY/MM/, e.g. {ignored[0]}")
    changes: dict[str, str] = {}
    unknown: list[str] = []
    for month, digest in changed_months(state["months"], current).items():
        if partitions.has_partition_key(month):
            changes[month] = digest
        else:
            unknown.append(month)
    if unknown:
        # Not recorded in the cursor: looked at again next tick, loaded once the partition exists.
        context.log.warning(f"objects for months that are not partitions (yet): {', '.join(unknown)}")
    if not changes:
        return SensorResult(skip_reason="no new or changed transaction objects", cursor=context.cursor)
    seq = state["seq"] + 1
    months = {m: d for m, d in state["months"].items() if m not in changes}
    months.update({m: d for m, d in changes.items() if m in current})
    cursor = json.dumps({"seq": seq, "months": dict(sorted(months.items()))})
    return SensorResult(run_requests=list(_requests(changes, current, seq, partitions)), cursor=cursor)


def _requests(
    changes: Mapping[str, str], current: Mapping[str, str], seq: int, partitions: PartitionsDefinition
) -> Iterator[RunRequest]:
    """A load of each run of consecutive changed months, then the snapshot of the month after it if
    that month is in the bucket, oldest first."""
    tags = {MONTH_ORDER_QUEUE: "new_transaction_files"}
    for block in consecutive(sorted(changes), partitions):
        digest = objects_digest({month: changes[month] for month in block})
        run_key = f"{block[0]}..{block[-1]}:{seq}:{digest}"
        yield month_run_request(run_key, block, tags, job_name=bucket_transactions_job.name)
        following = partitions.get_next_partition_key(block[-1])  # None after the last partition
        if following in current:
            yield RunRequest(
                run_key=f"{following}:{seq}:snapshot", partition_key=following, job_name=snapshot_job.name, tags=tags
            )


def consecutive(months: list[str], partitions: PartitionsDefinition) -> list[list[str]]:
    """The months (sorted partition keys) in runs of consecutive partitions."""
    blocks: list[list[str]] = []
    for month in months:
        if blocks and partitions.get_next_partition_key(blocks[-1][-1]) == month:
            blocks[-1].append(month)
        else:
            blocks.append([month])
    return blocks


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[bucket_sensor(monthly_partitions(Settings.from_env()))])
