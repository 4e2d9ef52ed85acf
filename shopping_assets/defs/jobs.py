"""Every job of the code location, by what a run of it does.

Jobs select assets by key, so they stand apart from how the assets are built. The
schedules and sensors target some of them; the rest are for the UI and the CLI. None
runs the latest-month freshness checks: those are their sensor's.
"""

import dagster as dg
from dagster import AssetSelection, define_asset_job

from shopping_assets.defs.alerts.freshness import LATEST_MONTH_CHECKS
from shopping_assets.defs.mart.as_purchased import AS_PURCHASED_VIEWS
from shopping_assets.defs.mart.audits import WHOLE_HISTORY as VIEW_AUDITS
from shopping_assets.defs.mart.views import VIEWS
from shopping_assets.defs.mart.weekly_summary import WEEKLY_SUMMARY
from shopping_assets.defs.reference.history import HISTORY_AUDITS

# every check that reads all of history: audit_job's, never the weekly run's
WHOLE_HISTORY = VIEW_AUDITS | HISTORY_AUDITS
REFERENCE = AssetSelection.assets(
    *(f"{stage}" for name in ("customers", "products") for stage in (f"{name}_file", f"{name}_object", f"raw_{name}"))
) | AssetSelection.assets("customers_history", "products_history")
# what publishing recreates: today's views, the period views as purchased, the weekly summary
PUBLISHED = AssetSelection.assets(*VIEWS, *AS_PURCHASED_VIEWS, WEEKLY_SUMMARY)
MONTH = AssetSelection.assets(
    "transaction_files", "transaction_objects", "raw_transaction_lines", "transaction_items", "transaction_quarantine"
)

reference_job = define_asset_job(
    "reference_job",
    selection=REFERENCE - WHOLE_HISTORY - LATEST_MONTH_CHECKS,
    description=(
        "Customers and products: input files -> S3 -> RAW tables, replaced whole -> STAGING history, what changed."
    ),
)
transactions_job = define_asset_job(
    "transactions_job",
    selection=MONTH - LATEST_MONTH_CHECKS,
    description="One month of transactions: files -> S3 -> RAW lines -> STAGING basket items.",
)
publish_job = define_asset_job(
    "publish_job",
    selection=(PUBLISHED | WHOLE_HISTORY) - LATEST_MONTH_CHECKS,
    description="(Re)creates the purchase-count views and audits them over all of history; the weekly summary.",
)
snapshot_job = define_asset_job(
    "snapshot_job",
    selection=AssetSelection.assets("purchase_counts_snapshot") - LATEST_MONTH_CHECKS,
    description="One month's snapshot files (Parquet, CSV, manifest) from the views.",
)
audit_job = define_asset_job(
    "audit_job",
    selection=WHOLE_HISTORY,
    description=(
        "The whole-history checks of the views: totals against the basket lines, period views against all-time."
    ),
)
weekly_job = define_asset_job(
    "weekly_job",
    # Not the whole-history audits: the weekly run costs a month's work however long the history
    # (audit_job runs them monthly, publish_job on demand).
    selection=(AssetSelection.assets("purchase_counts_snapshot").upstream() | REFERENCE | PUBLISHED | MONTH)
    - WHOLE_HISTORY
    - LATEST_MONTH_CHECKS,
    description=(
        "The months' partitions plus the reference tables and their history, then the views, then the months' "
        "snapshots and the weekly summary: the weekly refresh, as one run."
    ),
)
bucket_transactions_job = define_asset_job(
    "bucket_transactions_job",
    # not transaction_objects: it mirrors the input folder and would delete the very objects that changed
    selection=AssetSelection.assets("raw_transaction_lines").downstream() - WHOLE_HISTORY - LATEST_MONTH_CHECKS,
    description=(
        "One month from the objects already in the bucket: RAW lines -> basket items -> the views -> the month's "
        "snapshot and the weekly summary."
    ),
)

JOBS = [reference_job, transactions_job, publish_job, snapshot_job, audit_job, weekly_job, bucket_transactions_job]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=JOBS)
