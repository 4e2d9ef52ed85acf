"""The whole chain on the embedded services: generate months, materialise them, read the view."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from data_generator import GeneratorConfig, generate
from shopping_assets_tests import oracle

MONTHS = ["2024-01-01", "2024-02-01"]


def test_two_generated_months_give_the_view_an_independent_computation_gives(pipeline):
    view = pipeline.materialise(MONTHS)

    expected = pipeline.expected_view()
    assert expected, "the generator wrote no purchases"
    assert pipeline.view() == expected
    columns = pipeline.query(
        "SELECT COLUMN_NAME FROM {db}.INFORMATION_SCHEMA.COLUMNS "
        "WHERE TABLE_SCHEMA = 'MART' AND TABLE_NAME = 'PURCHASE_COUNTS' ORDER BY ORDINAL_POSITION"
    )
    assert [c for (c,) in columns] == [
        "CUSTOMER_ID",
        "LOYALTY_SCORE",
        "PRODUCT_ID",
        "PRODUCT_CATEGORY",
        "PURCHASE_COUNT",
    ]
    # the whole-history audit of publish_job counted the same
    assert view["view rows"] == len(expected)
    assert view["basket lines counted"] == view["known basket lines"] == sum(expected.values())
    # the generated files are the ones the pipeline was given
    assert sorted(p.name for p in (pipeline.input_dir / "transactions").iterdir())[0] == "d=2024-01-01"


def test_rematerialising_a_partition_leaves_no_duplicates(pipeline):
    pipeline.materialise(MONTHS)
    before = pipeline.view()

    for _ in range(2):
        lines = pipeline.run_job("transactions_job", "2024-02-01")
    pipeline.run_job("reference_job")
    pipeline.run_job("publish_job")

    assert pipeline.view() == before == pipeline.expected_view()
    raw = pipeline.query(
        "SELECT COUNT(*), COUNT(DISTINCT SOURCE_FILE || ':' || LINE_NUMBER) FROM {db}.RAW.TRANSACTION_LINES "
        "WHERE PARTITION_MONTH = '2024-02-01'"
    )[0]
    assert raw[0] == raw[1] == oracle.line_count(pipeline.input_dir, "2024-02")
    assert lines["raw_transaction_lines"]["dagster/partition_row_count"] == raw[0]
    customers = pipeline.query("SELECT COUNT(*) FROM {db}.RAW.CUSTOMERS")[0][0]
    assert customers == 40


def test_a_month_whose_files_changed_is_replaced_not_appended(pipeline, tmp_path: Path):
    pipeline.materialise(MONTHS)
    # the same month regenerated with another seed: different files, same names
    generate(pipeline.input_dir, GeneratorConfig(customers=40, seed=7), *_month_bounds("2024-02"), progress=False)
    # keep the reference files of the first seed so ids still match
    generate(tmp_path / "seed42", GeneratorConfig(customers=40, seed=42), *_month_bounds("2024-01"), progress=False)
    for name in ("customers.csv", "products.csv"):
        (pipeline.input_dir / name).write_bytes((tmp_path / "seed42" / name).read_bytes())

    pipeline.generate = False
    pipeline.run_job("transactions_job", "2024-02-01")
    pipeline.run_job("publish_job")

    assert pipeline.view() == pipeline.expected_view()


def _month_bounds(month: str):
    from data_generator.dates import month_end

    first = date.fromisoformat(f"{month}-01")
    return first, month_end(first)


def test_period_views_answer_a_date_range_and_reconcile_with_the_all_time_view(pipeline):
    pipeline.materialise(MONTHS)

    weekly = pipeline.query(
        "SELECT CUSTOMER_ID, PRODUCT_ID, SUM(PURCHASE_COUNT) FROM {db}.MART.PURCHASE_COUNTS_BY_WEEK GROUP BY 1, 2"
    )
    assert {(c, p): int(n) for c, p, n in weekly} == {(c, p): n for (c, _, p, _), n in pipeline.view().items()}
    assert pipeline.query(
        "SELECT COUNT(*) FROM {db}.MART.PURCHASE_COUNTS_BY_WEEK WHERE DAYOFWEEKISO(PERIOD_START) <> 1"
    ) == [(0,)]

    # "how many times did each customer buy each product between two dates", from the weekly view
    in_range = pipeline.query(
        "SELECT CUSTOMER_ID, PRODUCT_ID, SUM(PURCHASE_COUNT) FROM {db}.MART.PURCHASE_COUNTS_BY_WEEK "
        "WHERE PERIOD_START BETWEEN '2024-01-08' AND '2024-01-28' GROUP BY 1, 2"
    )
    expected = oracle.purchase_counts_between(pipeline.input_dir, "2024-01-08", "2024-01-29")  # three whole weeks
    assert {(c, p): int(n) for c, p, n in in_range} == expected

    monthly = pipeline.query(
        "SELECT PERIOD_START, SUM(PURCHASE_COUNT) FROM {db}.MART.PURCHASE_COUNTS_BY_MONTH GROUP BY 1"
    )
    assert sum(int(n) for _, n in monthly) == sum(pipeline.expected_view().values())


def test_each_month_is_published_once_as_files_whose_sum_is_the_view(pipeline, tmp_path: Path):
    pipeline.materialise(MONTHS)
    pipeline.run_job("snapshot_job", "2024-02-01")  # a re-run of a month replaces its folders, never adds

    exports = _download(pipeline, "exports/", tmp_path / "exports")
    parquet_root, csv_root = exports / "purchase_counts_by_month", exports / "purchase_counts_by_month_csv"
    folders = sorted(p.name for p in parquet_root.iterdir())
    # February's last purchases may be dated 1 March: March's folder holds them (or nothing)
    assert folders[:2] == ["month=2024-01", "month=2024-02"] and folders[2:] in ([], ["month=2024-03"])
    assert sorted(p.name for p in csv_root.iterdir()) == folders
    for folder in folders:
        assert sorted(p.name for p in (parquet_root / folder).iterdir()) == [
            "_manifest.json",
            "purchase_counts.parquet",
        ]
        assert [p.name for p in (csv_root / folder).iterdir()] == ["purchase_counts.csv"]
        month = folder.removeprefix("month=")
        manifest = json.loads((parquet_root / folder / "_manifest.json").read_text())
        assert sorted(manifest["files"]) == [
            f"exports/purchase_counts_by_month/{folder}/purchase_counts.parquet",
            f"exports/purchase_counts_by_month_csv/{folder}/purchase_counts.csv",
        ]
        for key, file in manifest["files"].items():
            assert hashlib.sha256((exports.parent / key).read_bytes()).hexdigest() == file["sha256"]
        rows = pq.read_table(parquet_root / folder / "purchase_counts.parquet").to_pylist()
        assert (manifest["month"], manifest["row_count"]) == (month, len(rows))
        assert {str(r["period_start"]) for r in rows} <= {f"{month}-01"}
        by_pair = {(r["customer_id"], r["product_id"]): r["purchase_count"] for r in rows}
        assert manifest["basket_lines"] == sum(by_pair.values())
        following = (date.fromisoformat(f"{month}-01") + timedelta(days=31)).replace(day=1).isoformat()
        assert by_pair == oracle.purchase_counts_between(pipeline.input_dir, f"{month}-01", following)
        with (csv_root / folder / "purchase_counts.csv").open(newline="") as file:
            assert [(r["customer_id"], r["product_id"], int(r["purchase_count"])) for r in csv.DictReader(file)] == [
                (r["customer_id"], r["product_id"], r["purchase_count"]) for r in rows
            ]


def test_the_monthly_files_read_as_one_dataset_an_empty_month_included(pipeline, tmp_path: Path):
    import pyarrow.dataset as ds

    pipeline.materialise(MONTHS)
    pipeline.run_job("snapshot_job", "2024-06-01")  # nothing loaded is dated June
    exports = _download(pipeline, "exports/", tmp_path / "exports")

    june = pq.read_table(exports / "purchase_counts_by_month" / "month=2024-06" / "purchase_counts.parquet")
    january = pq.read_table(exports / "purchase_counts_by_month" / "month=2024-01" / "purchase_counts.parquet")
    assert june.num_rows == 0 and june.schema == january.schema
    # what the README tells consumers to do, on a copy of the bucket's folder
    counts = ds.dataset(str(exports / "purchase_counts_by_month"), format="parquet", partitioning="hive")
    totals = counts.to_table().group_by(["customer_id", "product_id"]).aggregate([("purchase_count", "sum")])
    assert {(r["customer_id"], r["product_id"]): r["purchase_count_sum"] for r in totals.to_pylist()} == {
        (c, p): n for (c, _, p, _), n in pipeline.view().items()
    }


def _download(pipeline, folder: str, into: Path) -> Path:
    """Every object under the pipeline's `folder`, as files under `into` (keys relative to `folder`)."""
    lake = pipeline.definitions().resources["lake"]
    client = lake.client()
    for key in lake.list_keys(client, folder):
        path = into / key.removeprefix(folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(client.get_object(Bucket=lake.bucket, Key=lake.prefix + key)["Body"].read())
    return into


def test_a_month_whose_files_miscount_is_not_published_and_fails_its_run(pipeline, tmp_path: Path):
    pipeline.materialise(["2024-01-01"])
    before = _download(pipeline, "exports/", tmp_path / "before")
    # a regression in the monthly view's SQL: FLATTEN's INDEX taken as 1-based, each basket's first line lost
    pipeline.query(
        "CREATE OR REPLACE VIEW {db}.MART.PURCHASE_COUNTS_BY_MONTH AS "
        "SELECT c.CUSTOMER_ID, c.LOYALTY_SCORE, p.PRODUCT_ID, p.PRODUCT_CATEGORY, "
        "DATE_TRUNC(MONTH, i.PURCHASED_AT)::DATE AS PERIOD_START, COUNT(*) AS PURCHASE_COUNT "
        "FROM {db}.STAGING.TRANSACTION_ITEMS AS i "
        "JOIN {db}.STAGING.CUSTOMERS AS c ON c.CUSTOMER_ID = i.CUSTOMER_ID "
        "JOIN {db}.STAGING.PRODUCTS AS p ON p.PRODUCT_ID = i.PRODUCT_ID "
        "WHERE i.ITEM_INDEX > 0 GROUP BY 1, 2, 3, 4, 5"
    )

    outcome = pipeline.run("snapshot_job", "2024-01-01", raise_on_error=False)

    assert not outcome.success  # so run_failure_alerts reports it
    assert outcome.checks["matches_basket_lines"].passed is False
    assert outcome.metadata["purchase_counts_snapshot"]["published"] is False
    after = _download(pipeline, "exports/", tmp_path / "after")
    files = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(after) for p in after.rglob("*") if p.is_file())
    assert all((before / f).read_bytes() == (after / f).read_bytes() for f in files)  # consumers keep the good month


def test_a_purchase_past_midnight_on_a_month_end_counts_once_in_the_next_month(make_pipeline, tmp_path: Path):
    """The file of 31 January holds a purchase dated 1 February: it loads with January's
    partition, counts in February's periods and snapshot, and never twice, whichever month reloads."""
    from shopping_assets_tests.test_data_quality import good, write_folder

    root = write_folder(
        tmp_path / "in",
        {
            "2024-01-31": "\n".join(
                [
                    good("C1", (("P01", 5),), "2024-01-31 12:00:00"),
                    good("C1", (("P02", 3), ("P02", 3)), "2024-02-01 00:05:00"),
                ]
            ).encode(),
            "2024-02-01": good("C2", (("P02", 4),), "2024-02-01 09:00:00").encode(),
        },
    )
    pipeline = make_pipeline(root)
    pipeline.materialise(MONTHS)

    for reloaded in (None, "2024-02-01", "2024-01-01"):
        if reloaded:
            pipeline.run("weekly_job", reloaded)
        assert pipeline.view() == {
            ("C1", 7, "P01", "clothes"): 1,
            ("C1", 7, "P02", "fruit_veg"): 2,
            ("C2", 4, "P02", "fruit_veg"): 1,
        }
        by_month = pipeline.query(
            "SELECT CUSTOMER_ID, PRODUCT_ID, PERIOD_START::VARCHAR, PURCHASE_COUNT "
            "FROM {db}.MART.PURCHASE_COUNTS_BY_MONTH"
        )
        assert {(c, p, start): int(n) for c, p, start, n in by_month} == {
            ("C1", "P01", "2024-01-01"): 1,
            ("C1", "P02", "2024-02-01"): 2,
            ("C2", "P02", "2024-02-01"): 1,
        }
        assert pipeline.query(
            "SELECT PARTITION_MONTH::VARCHAR, COUNT(*) FROM {db}.STAGING.TRANSACTION_ITEMS GROUP BY 1 ORDER BY 1"
        ) == [("2024-01-01", 3), ("2024-02-01", 1)]  # the line stays in its file's month

        exports = _download(pipeline, "exports/purchase_counts_by_month/", tmp_path / f"exports-{reloaded}")
        snapshot = {
            month: {
                (r["customer_id"], r["product_id"]): r["purchase_count"]
                for r in pq.read_table(exports / f"month={month}" / "purchase_counts.parquet").to_pylist()
            }
            for month in ("2024-01", "2024-02")
        }
        assert snapshot == {"2024-01": {("C1", "P01"): 1}, "2024-02": {("C1", "P02"): 2, ("C2", "P02"): 1}}
    assert pipeline.query("SELECT COUNT(*) FROM {db}.STAGING.QUARANTINE") == [(0,)]
