"""Customers and products change: their type-2 history through the real chain, and the period
views as purchased.

Real files go through the embedded services; what the warehouse answers is compared with
`history_oracle`, computed in plain Python from the same files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from data_generator import GeneratorConfig, generate, write_reference_history
from shopping_assets import tables
from shopping_assets_tests import history_oracle, oracle

MONTH = "2024-01-01"
CHANGE = datetime(2024, 1, 15)  # a Monday: whole weeks before it and from it
HISTORY_COLUMNS = "CUSTOMER_ID, LOYALTY_SCORE, VALID_FROM, VALID_TO, IS_CURRENT"


# --- the input folder ---------------------------------------------------------------------


def _month(root: Path) -> Path:
    generate(root, GeneratorConfig(customers=40, seed=11), date(2024, 1, 1), date(2024, 1, 31), progress=False)
    return root


def _customers(path: Path) -> dict[str, str]:
    with path.open(newline="") as handle:
        return {row["customer_id"]: row["loyalty_score"] for row in csv.DictReader(handle)}


def _write_customers(path: Path, scores: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("customer_id,loyalty_score\r\n" + "".join(f"{c},{s}\r\n" for c, s in scores.items())).encode())


def _products(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))[1:]


def _write_products(path: Path, rows: list[list[str]]) -> None:
    text = io.StringIO(newline="")
    csv.writer(text).writerows([["product_id", "product_description", "product_category"], *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode())


def _snapshot(root: Path, day: str, customers: dict[str, str] | None = None, products: list | None = None) -> Path:
    folder = root / "reference" / f"d={day}"
    if customers is not None:
        _write_customers(folder / "customers.csv", customers)
    if products is not None:
        _write_products(folder / "products.csv", products)
    return folder


def _purchases(root: Path) -> list[tuple[str, str, datetime]]:
    """(customer, product, when) of every basket line."""
    found = []
    for path in sorted((root / "transactions").glob("d=*/transactions.json")):
        for line in path.read_text().splitlines():
            doc = json.loads(line)
            when = datetime.fromisoformat(doc["date_of_purchase"])
            found += [(doc["customer_id"], item["product_id"], when) for item in doc["basket"]]
    return found


def _bought_around(root: Path, *edges: datetime) -> tuple[list[str], list[str]]:
    """Customers and products with a basket line in every window the edges cut January into."""
    bounds = [datetime(2024, 1, 1), *edges, datetime(2024, 2, 2)]
    windows = list(pairwise(bounds))
    seen: dict[str, set[int]] = {}
    for customer, product, when in _purchases(root):
        for index, (start, end) in enumerate(windows):
            if start <= when < end:
                seen.setdefault(customer, set()).add(index)
                seen.setdefault(product, set()).add(index)
    everywhere = sorted(k for k, v in seen.items() if len(v) == len(windows))
    return [k for k in everywhere if k.startswith("C")], [k for k in everywhere if k.startswith("P")]


# --- the warehouse ------------------------------------------------------------------------


def _history(pipeline, table: str = "CUSTOMERS_HISTORY") -> list[tuple]:
    return pipeline.query(f"SELECT * FROM {{db}}.STAGING.{table} ORDER BY 1, VALID_FROM")


def _versions(pipeline, customer: str) -> list[tuple]:
    rows = pipeline.query(
        f"SELECT {HISTORY_COLUMNS} FROM {{db}}.STAGING.CUSTOMERS_HISTORY WHERE CUSTOMER_ID = '{customer}' "
        "ORDER BY VALID_FROM"
    )
    return [(c, int(s), start, end, current) for c, s, start, end, current in rows]


def _as_purchased(pipeline, period: str) -> dict[tuple, int]:
    rows = pipeline.query(f"SELECT * FROM {{db}}.MART.PURCHASE_COUNTS_BY_{period}_AS_PURCHASED")
    return {(c, int(s), p, cat, start): int(n) for c, s, p, cat, start, n in rows}


def _latest_load(pipeline, source: str = "customers") -> datetime:
    return pipeline.query(f"SELECT MAX(AS_OF) FROM {{db}}.STAGING.REFERENCE_LOADS WHERE SOURCE = '{source}'")[0][0]


def _raw_customers(pipeline) -> list[tuple]:
    return pipeline.query("SELECT CUSTOMER_ID, LOYALTY_SCORE, SOURCE_FILE FROM {db}.RAW.CUSTOMERS ORDER BY 1")


# --- the tests ----------------------------------------------------------------------------


def test_a_score_changed_between_two_loads_gives_two_versions_and_the_weeks_follow_it(
    make_pipeline, tmp_path, monkeypatch
):
    root = _month(tmp_path / "input")
    base, catalogue = _customers(root / "customers.csv"), _products(root / "products.csv")
    _snapshot(root, "2024-01-01", base, catalogue)
    pipeline = make_pipeline(root)
    pipeline.load([MONTH])
    assert _as_purchased(pipeline, "WEEK") == history_oracle.purchase_counts_as_purchased(root, "WEEK")

    # the second load: three customers' scores and one product's category changed on the 15th
    customers, products = _bought_around(root, CHANGE)
    changed = customers[:3]
    scores = {**base, **{c: str(int(base[c]) % 10 + 1) for c in changed}}
    product = products[0]
    old_category = next(row[2] for row in catalogue if row[0] == product)
    new_category = "bws" if old_category != "bws" else "food"
    recategorised = [[p, d, new_category if p == product else c] for p, d, c in catalogue]
    _snapshot(root, "2024-01-15", scores, recategorised)
    _write_customers(root / "customers.csv", scores)
    _write_products(root / "products.csv", recategorised)
    pipeline.run_job("reference_job")
    pipeline.run_job("publish_job")

    for customer in changed:
        old, new = int(base[customer]), int(scores[customer])
        assert _versions(pipeline, customer) == [
            (customer, old, datetime(2024, 1, 1), CHANGE, False),
            (customer, new, CHANGE, None, True),
        ]
    kept = customers[3]
    assert _versions(pipeline, kept) == [(kept, int(base[kept]), datetime(2024, 1, 1), None, True)]
    categories = pipeline.query(
        f"SELECT PRODUCT_CATEGORY, VALID_FROM, VALID_TO FROM {{db}}.STAGING.PRODUCTS_HISTORY "
        f"WHERE PRODUCT_ID = '{product}' ORDER BY VALID_FROM"
    )
    assert categories == [(old_category, datetime(2024, 1, 1), CHANGE), (new_category, CHANGE, None)]

    weeks = _as_purchased(pipeline, "WEEK")
    assert weeks == history_oracle.purchase_counts_as_purchased(root, "WEEK")
    for customer in changed:
        before = {score for (c, score, *_, start) in weeks if c == customer and start < CHANGE.date()}
        after = {score for (c, score, *_, start) in weeks if c == customer and start >= CHANGE.date()}
        assert before == {int(base[customer])} and after == {int(scores[customer])}
    assert {cat for (_, _, p, cat, start) in weeks if p == product and start < CHANGE.date()} == {old_category}
    assert {cat for (_, _, p, cat, start) in weeks if p == product and start >= CHANGE.date()} == {new_category}
    months = _as_purchased(pipeline, "MONTH")
    assert months == history_oracle.purchase_counts_as_purchased(root, "MONTH")
    assert sum(months.values()) == sum(weeks.values())

    # today's views keep today's values, and their exact columns
    assert pipeline.view() == oracle.purchase_counts(root)
    today = pipeline.query(
        "SELECT DISTINCT CUSTOMER_ID, LOYALTY_SCORE FROM {db}.MART.PURCHASE_COUNTS_BY_WEEK "
        f"WHERE CUSTOMER_ID IN ({', '.join(repr(c) for c in changed)})"
    )
    assert {(c, int(s)) for c, s in today} == {(c, int(scores[c])) for c in changed}

    # the history and the views as purchased read out like the other tables
    from shopping_assets.cli import main

    monkeypatch.setenv("SNOWFLAKE_DATABASE", pipeline.settings.database)
    monkeypatch.setenv("SHOPPING_S3_PREFIX", pipeline.settings.prefix)
    out = tmp_path / "customers_history.csv"
    assert main(["export", "--table", "customers_history", "--out", str(out)]) == 0
    with out.open(newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == len(base) + len(changed)
    assert list(exported[0]) == [c.name.lower() for c in tables.CUSTOMERS_HISTORY.columns]
    assert list(exported[0])[:5] == ["customer_id", "loyalty_score", "valid_from", "valid_to", "is_current"]
    closed = [row for row in exported if row["customer_id"] == changed[0]]
    assert [(r["valid_to"], r["is_current"]) for r in closed] == [("2024-01-15 00:00:00.000000", "false"), ("", "true")]
    parquet = tmp_path / "weeks.parquet"
    assert main(["export", "--table", "purchase_counts_by_week_as_purchased", "--out", str(parquet)]) == 0
    import pyarrow.parquet as pq

    assert sum(pq.read_table(parquet)["purchase_count"].to_pylist()) == sum(weeks.values())


def test_versions_start_at_their_load_without_snapshots_and_a_reload_changes_nothing(make_pipeline, tmp_path):
    root = _month(tmp_path / "input")
    pipeline = make_pipeline(root)
    pipeline.load([MONTH])
    first = _latest_load(pipeline)
    history = _history(pipeline)
    assert {(start, end, current) for _, _, start, end, current, *_ in history} == {(first, None, True)}

    for _ in range(2):
        outcome = pipeline.run_job("reference_job")
    assert _history(pipeline) == history  # not a row added, not a stamp moved
    assert outcome["customers_history"]["versions opened"] == outcome["customers_history"]["versions closed"] == 0
    loads = pipeline.query("SELECT COUNT(*), COUNT(DISTINCT AS_OF) FROM {db}.STAGING.REFERENCE_LOADS")[0]
    assert loads == (6, 6)  # three loads of each file, each dated by its own time

    # a change loaded now takes effect now: every purchase (January 2024) keeps the old score
    shutil.copytree(root, tmp_path / "first")
    base = _customers(root / "customers.csv")
    customer = _bought_around(root)[0][0]
    _write_customers(root / "customers.csv", {**base, customer: str(int(base[customer]) % 10 + 1)})
    pipeline.run_job("reference_job")
    pipeline.run_job("publish_job")
    second = _latest_load(pipeline)
    assert first < second
    assert _versions(pipeline, customer) == [
        (customer, int(base[customer]), first, second, False),
        (customer, int(base[customer]) % 10 + 1, second, None, True),
    ]
    as_first_loaded = history_oracle.purchase_counts_as_purchased(tmp_path / "first", "WEEK")
    assert _as_purchased(pipeline, "WEEK") == as_first_loaded
    assert pipeline.view() == oracle.purchase_counts(root)  # today's view: today's score


def test_a_customer_left_out_is_closed_never_erased_and_comes_back_with_a_new_version(make_pipeline, tmp_path):
    root = _month(tmp_path / "input")
    base = _customers(root / "customers.csv")
    away, back = datetime(2024, 1, 15), datetime(2024, 1, 22)
    leaver = _bought_around(root, away, back)[0][0]
    without = {c: s for c, s in base.items() if c != leaver}
    _snapshot(root, "2024-01-01", base)
    _snapshot(root, "2024-01-15", without)
    _write_customers(root / "customers.csv", without)
    pipeline = make_pipeline(root)
    pipeline.load([MONTH])

    score = int(base[leaver])
    assert _versions(pipeline, leaver) == [(leaver, score, datetime(2024, 1, 1), away, False)]
    assert not any(key[0] == leaver for key in pipeline.view())  # today's view: an unknown customer
    weeks = _as_purchased(pipeline, "WEEK")
    assert weeks == history_oracle.purchase_counts_as_purchased(root, "WEEK")
    assert {start for (c, *_, start) in weeks if c == leaver} and all(
        start < away.date() for (c, *_, start) in weeks if c == leaver
    )

    _snapshot(root, "2024-01-22", base)
    _write_customers(root / "customers.csv", base)
    outcome = pipeline.run_job("reference_job")
    pipeline.run_job("publish_job")
    assert outcome["customers_history"]["versions opened"] == 1
    assert outcome["customers_history"]["snapshots already loaded"] == 2
    assert _versions(pipeline, leaver) == [
        (leaver, score, datetime(2024, 1, 1), away, False),
        (leaver, score, back, None, True),
    ]
    weeks = _as_purchased(pipeline, "WEEK")
    assert weeks == history_oracle.purchase_counts_as_purchased(root, "WEEK")
    # what the leaver bought while out of the file is not counted; the rest is
    bought = Counter(when < away or when >= back for c, _, when in _purchases(root) if c == leaver)
    assert sum(n for key, n in weeks.items() if key[0] == leaver) == bought[True] and bought[False] > 0


def test_a_snapshot_that_would_rewrite_the_past_is_refused_and_changes_nothing(make_pipeline, tmp_path):
    root = _month(tmp_path / "input")
    base = _customers(root / "customers.csv")
    later = {c: str(int(s) % 10 + 1) for c, s in base.items()}
    _snapshot(root, "2024-01-01", base)
    _snapshot(root, "2024-01-22", later)
    _write_customers(root / "customers.csv", later)
    pipeline = make_pipeline(root)
    pipeline.load([MONTH])
    before = (_history(pipeline), _history(pipeline, "PRODUCTS_HISTORY"), _raw_customers(pipeline), pipeline.view())

    older = _snapshot(root, "2024-01-15", base)
    outcome = pipeline.run("reference_job", raise_on_error=False)
    assert not outcome.success and outcome.retries == 0  # not retried: the input must change
    assert (
        f"{older / 'customers.csv'} is dated 2024-01-15, before the history's latest load"
        in outcome.errors["customers_history"]
    )
    assert "docs/reference-history.md" in outcome.errors["customers_history"]
    after = (_history(pipeline), _history(pipeline, "PRODUCTS_HISTORY"), _raw_customers(pipeline), pipeline.view())
    assert after == before

    shutil.rmtree(older)
    first = root / "reference" / "d=2024-01-01" / "customers.csv"
    original = first.read_bytes()
    _write_customers(first, {**base, "C1": "10" if base["C1"] != "10" else "9"})
    outcome = pipeline.run("reference_job", raise_on_error=False)
    assert not outcome.success
    assert f"{first} changed since it was loaded" in outcome.errors["customers_history"]
    assert _history(pipeline) == before[0]

    first.write_bytes(original)  # put back as it was loaded: skipped again, and nothing changes
    outcome = pipeline.run_job("reference_job")
    assert outcome["customers_history"]["snapshots already loaded"] == 2
    assert _history(pipeline) == before[0]


def _cli(pipeline, point: str, export: Path) -> subprocess.CompletedProcess:
    """`shopping-pipeline run` on the pipeline's folder, SIGKILLed at `point` (harness/crash_points.py)."""
    env = {
        **os.environ,
        "SNOWFLAKE_DATABASE": pipeline.settings.database,
        "SHOPPING_S3_PREFIX": pipeline.settings.prefix,
        "SHOPPING_FAULT_POINT": point,
    }
    command = ["-m", "harness.crash_points", "run", "--input-dir", str(pipeline.input_dir), "--export", str(export)]
    return subprocess.run([sys.executable, *command], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "point",
    [
        "staging/reference_history_close:1",  # versions closed, the new ones not yet opened
        "raw/reference_snapshot_swap:3",  # a dated snapshot standing in RAW in the current file's place
    ],
)
def test_a_history_load_killed_mid_transaction_leaves_the_old_history_whole(make_pipeline, tmp_path, point):
    root = _month(tmp_path / "input")
    base = _customers(root / "customers.csv")
    _snapshot(root, "2024-01-01", base)
    pipeline = make_pipeline(root)
    pipeline.load([MONTH])
    old = (_history(pipeline), _history(pipeline, "PRODUCTS_HISTORY"))
    changed = {**base, **{c: str(int(base[c]) % 10 + 1) for c in list(base)[:5]}}
    _snapshot(root, "2024-01-15", changed)
    _write_customers(root / "customers.csv", changed)

    killed = _cli(pipeline, point, tmp_path / "x.csv")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    # the dead run's transaction is invisible, then rolled back: the history is the old one, whole,
    # and RAW holds the current file (raw_customers committed it), never the snapshot
    assert (_history(pipeline), _history(pipeline, "PRODUCTS_HISTORY")) == old
    assert [(c, s) for c, s, _ in _raw_customers(pipeline)] == sorted(changed.items())

    pipeline.load([MONTH])  # the step's retry waits out the dead session's lock
    expected = history_oracle.versions(root, "customers.csv", "customer_id", ("loyalty_score",))
    rows = pipeline.query(f"SELECT {HISTORY_COLUMNS} FROM {{db}}.STAGING.CUSTOMERS_HISTORY")
    assert sorted((c, str(s), start, end) for c, s, start, end, _ in rows) == sorted(
        (c, row[0], start, end) for c, versions in expected.items() for start, end, row in versions
    )
    assert _as_purchased(pipeline, "WEEK") == history_oracle.purchase_counts_as_purchased(root, "WEEK")


def test_the_weekly_runs_work_does_not_grow_with_the_history(make_pipeline, tmp_path):
    """Two deployments with the same current files and transactions, one with two years of monthly
    snapshots behind it. Each then goes on with weekly runs dated by their load time, the first
    recording two changed scores: both runs execute the same statements and change the same rows."""
    from shopping_assets import checkpoints

    config = GeneratorConfig(customers=40, seed=11)
    long = tmp_path / "long"
    generate(long, config, date(2024, 1, 1), date(2024, 1, 31), progress=False)
    write_reference_history(long, config, date(2022, 1, 1), date(2024, 1, 31))
    short = tmp_path / "short"
    shutil.copytree(long, short, ignore=shutil.ignore_patterns("reference"))
    shutil.copytree(long / "reference" / "d=2024-01-01", short / "reference" / "d=2024-01-01")

    runs = {}
    for name, root in (("long", long), ("short", short)):
        pipeline = make_pipeline(root)
        pipeline.load([MONTH])
        # from now on the current files, dated by their load: two scores changed since the last snapshot
        shutil.rmtree(root / "reference")
        scores = _customers(root / "customers.csv")
        _write_customers(root / "customers.csv", {**scores, "C1": "1" if scores["C1"] != "1" else "2", "C2": "10"})
        statements: Counter[str] = Counter()

        def count(point: str, statements: Counter[str] = statements) -> None:
            statements[point] += 1

        checkpoints.install(count)
        try:
            outcome = pipeline.run_job("weekly_job", MONTH)
        finally:
            checkpoints.uninstall(count)
        versions = pipeline.query("SELECT COUNT(*) FROM {db}.STAGING.CUSTOMERS_HISTORY")[0][0]
        runs[name] = (statements, outcome, versions)

    (long_statements, long_run, long_versions), (short_statements, short_run, short_versions) = runs.values()
    assert long_versions > 2 * short_versions  # the long history really is longer
    assert long_statements == short_statements and long_statements["staging/reference_history_close:1"] == 2
    changes = {"versions opened": 2, "versions closed": 2, "snapshots loaded": 0}
    assert {k: long_run["customers_history"][k] for k in changes} == changes
    for asset in ("customers_history", "products_history"):
        for key in ("versions opened", "versions closed", "current versions"):
            assert long_run[asset][key] == short_run[asset][key]
