"""The reference history's rules without the services: which dated snapshots a run loads or
refuses, what the generator writes, the SQL as Snowflake reads it, and the jobs it is in."""

from __future__ import annotations

import csv
import hashlib
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path

import dagster as dg
import pytest
import sqlglot
from sqlglot import exp

from data_generator import GeneratorConfig, command_line, snapshot_dir, write_reference, write_reference_history
from shopping_assets import statements as sql
from shopping_assets.errors import InputLayoutError
from shopping_assets.reference_snapshots import digest, plan
from shopping_assets.resources.input_data import InputData

TODAY = date(2024, 6, 30)


def _files(tmp_path: Path, *days: str) -> dict[date, Path]:
    found = {}
    for day in days:
        path = tmp_path / "reference" / f"d={day}" / "customers.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"customer_id,loyalty_score\nC1,{int(day[-2:]) % 10 + 1}\n")
        found[date.fromisoformat(day)] = path
    return found


def _midnight(day: str) -> datetime:
    return datetime.fromisoformat(day)


# --- which snapshots a run loads ----------------------------------------------------------


def test_new_snapshots_load_oldest_first_and_loaded_ones_are_skipped(tmp_path):
    files = _files(tmp_path, "2024-03-01", "2024-01-01", "2024-02-01")
    assert [s.day.isoformat() for s in plan(files, {}, None, TODAY).pending] == [
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
    ]
    loaded = {_midnight("2024-01-01"): digest(files[date(2024, 1, 1)])}
    again = plan(files, loaded, _midnight("2024-01-01"), TODAY)
    assert [s.day for s in again.pending] == [date(2024, 2, 1), date(2024, 3, 1)] and again.skipped == 1
    snapshot = again.pending[0]
    assert snapshot.as_of == datetime(2024, 2, 1) and snapshot.key == "reference/snapshots/2024-02-01/customers.csv"


def test_a_snapshot_before_the_latest_load_is_refused_naming_it(tmp_path):
    files = _files(tmp_path, "2024-01-01", "2024-02-01")
    with pytest.raises(InputLayoutError, match=r"d=2024-01-01/customers.csv is dated 2024-01-01, before the hist"):
        plan(files, {}, datetime(2024, 1, 15, 6, 0), TODAY)  # a load-time load came first
    loaded = {_midnight("2024-02-01"): digest(files[date(2024, 2, 1)])}
    with pytest.raises(InputLayoutError, match=r"docs/reference-history\.md"):
        plan(files, loaded, _midnight("2024-02-01"), TODAY)  # January arrived after February


def test_a_loaded_snapshot_that_changed_and_one_dated_after_today_are_refused(tmp_path):
    files = _files(tmp_path, "2024-01-01")
    loaded = {_midnight("2024-01-01"): "0" * 64}
    with pytest.raises(InputLayoutError, match="changed since it was loaded"):
        plan(files, loaded, _midnight("2024-01-01"), TODAY)
    with pytest.raises(InputLayoutError, match="after today"):
        plan(_files(tmp_path, "2024-07-01"), {}, None, TODAY)


def test_the_input_folder_names_its_dated_snapshots_and_refuses_a_stray_folder(tmp_path):
    _files(tmp_path, "2024-01-01", "2024-02-01")
    (tmp_path / "reference" / "d=2024-03-01").mkdir()  # a folder with products only, say
    inputs = InputData(input_dir=str(tmp_path), generate=False)
    assert sorted(inputs.reference_snapshots("customers.csv")) == [date(2024, 1, 1), date(2024, 2, 1)]
    assert inputs.reference_snapshots("products.csv") == {}
    (tmp_path / "reference" / "2024-04-01").mkdir()
    with pytest.raises(InputLayoutError, match="is not a dated snapshot folder named d=YYYY-MM-DD"):
        inputs.reference_snapshots("customers.csv")
    assert InputData(input_dir=str(tmp_path / "none"), generate=False).reference_snapshots("customers.csv") == {}


# --- the generator's reference history ----------------------------------------------------


def _read(path: Path) -> dict[str, str]:
    with path.open(newline="") as handle:
        return {row[0]: row[-1] for row in list(csv.reader(handle))[1:]}


def test_the_generator_writes_a_snapshot_per_month_with_changes_and_the_current_files_as_the_last(tmp_path):
    config = GeneratorConfig(customers=200, seed=7)
    stats = write_reference_history(tmp_path, config, date(2024, 1, 10), date(2024, 6, 3))
    months = [date(2024, m, 1) for m in range(1, 7)]
    assert stats["snapshots"] == 6 and [p.name for p in sorted((tmp_path / "reference").iterdir())] == [
        Path(snapshot_dir(m)).name for m in months
    ]
    snapshots = [_read(tmp_path / snapshot_dir(m) / "customers.csv") for m in months]
    for before, after in pairwise(snapshots):
        changed = [c for c in set(before) & set(after) if before[c] != after[c]]
        assert 1 <= len(changed) <= 200 * 0.05 + 1  # a few scores move every month
        assert all(1 <= int(s) <= 10 for s in after.values())
    assert len(snapshots[0]) == 190 and len(snapshots[-1]) >= 199  # customers join over the range
    assert stats["score_changes"] == 50 and stats["joined"] == 10
    # the current files are the last month's, byte for byte, CRLF like the starter's
    for name in ("customers.csv", "products.csv"):
        assert (tmp_path / name).read_bytes() == (tmp_path / snapshot_dir(months[-1]) / name).read_bytes()
    assert (tmp_path / "customers.csv").read_bytes().startswith(b"customer_id,loyalty_score\r\nC1,")
    categories = [_read(tmp_path / snapshot_dir(m) / "products.csv") for m in months]
    moved = sum(before != after for before, after in pairwise(categories))
    assert moved == stats["recategorised"]


def test_the_generators_reference_history_is_deterministic_by_seed(tmp_path):
    def hashes(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.csv")}

    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_reference_history(
            tmp_path / name, GeneratorConfig(customers=50, seed=seed), date(2024, 1, 1), date(2024, 4, 1)
        )
    assert hashes(tmp_path / "a") == hashes(tmp_path / "b") != hashes(tmp_path / "c")
    # its first month is write_reference's, less the customers who join later
    write_reference(tmp_path / "plain", GeneratorConfig(customers=50, seed=3))
    plain, first = (
        _read(tmp_path / "plain" / "customers.csv"),
        _read(tmp_path / "a" / snapshot_dir(date(2024, 1, 1)) / "customers.csv"),
    )
    assert first.items() <= plain.items() and len(first) < len(plain)


def test_the_generator_command_takes_reference_history_and_says_what_it_does(tmp_path, capsys):
    parser = command_line.add_arguments(__import__("argparse").ArgumentParser())
    assert "reference/d=YYYY-MM-01/customers.csv" in parser.format_help()
    out = tmp_path / "out"
    command_line.main(
        [
            "--out",
            str(out),
            "--customers",
            "30",
            "--start",
            "2024-01-01",
            "--end",
            "2024-02-10",
            "--reference-history",
            "--workers",
            "1",
        ]
    )
    assert "reference history: 2 monthly snapshots" in capsys.readouterr().out
    assert (out / "reference" / "d=2024-02-01" / "products.csv").is_file()
    assert (out / "transactions" / "d=2024-02-10" / "transactions.json").is_file()


# --- the SQL -------------------------------------------------------------------------------


def _render(name: str, **names: str) -> list[exp.Expression]:
    base = {
        "database": "SHOPPING",
        "table": "PRODUCTS",
        "history": "PRODUCTS_HISTORY",
        "checks": "PRODUCT_CHECKS",
        "columns": "product_id, product_description, product_category",
        "id_column": "product_id",
    }
    from shopping_assets.bootstrap.audit import SAMPLE_VALUES

    rendered = sql.render(name, {**base, **names})
    bound = [sql.bind(s, {k: SAMPLE_VALUES[k] for k in sql.values(s)}) for s in rendered]
    return [sqlglot.parse_one(s, read="snowflake") for s in bound]


def test_history_statements_read_current_versions_and_compare_whole_rows():
    (close,) = _render("staging/reference_history_close")
    assert isinstance(close, exp.Update) and close.find(exp.Except)  # MINUS: two NULLs compare equal
    assert "WHERE IS_CURRENT" in close.sql("snowflake")
    (open_,) = _render("staging/reference_history_open")
    assert isinstance(open_, exp.Insert) and open_.find(exp.Except)
    for name in (
        "staging/reference_history_current",
        "staging/reference_history_preview",
        "staging/reference_history_changes",
    ):
        assert "IS_CURRENT" in _render(name)[0].sql("snowflake"), name


def test_the_as_purchased_views_keep_the_period_views_columns_and_mondays():
    from shopping_assets import tables
    from shopping_assets.defs.mart.views import DAY_OF

    for period, day_of in DAY_OF.items():
        (view,) = _render("mart/purchase_counts_by_period_as_purchased", period=period, day_of_period=day_of)
        assert view.find(exp.Table).name == f"PURCHASE_COUNTS_BY_{period}_AS_PURCHASED"
        columns = [e.alias_or_name for e in view.expression.expressions]
        assert columns == [c.name for c in tables.purchase_counts_by(period).columns]
        assert [c.name for c in tables.purchase_counts_as_purchased(period).columns] == columns
        assert not list(view.find_all(exp.DayOfWeek, exp.Week))


def test_the_weekly_run_maintains_the_history_without_its_whole_history_audits():
    from shopping_assets.definitions import build_definitions
    from shopping_assets.defs import jobs
    from shopping_assets.settings import Settings

    graph = build_definitions(Settings.from_env()).resolve_asset_graph()

    def selected(job) -> tuple[set[str], set[tuple[str, str]]]:
        assets = {key.to_user_string() for key in job.selection.resolve(graph)}
        checks = {(key.asset_key.to_user_string(), key.name) for key in job.selection.resolve_checks(graph)}
        return assets, checks

    history = {"customers_history", "products_history"}
    as_purchased = {"purchase_counts_by_week_as_purchased", "purchase_counts_by_month_as_purchased"}
    audits = {(name, "valid_intervals") for name in history}
    weekly_assets, weekly_checks = selected(jobs.weekly_job)
    assert history | as_purchased <= weekly_assets
    assert {(name, "current_matches_file") for name in history} <= weekly_checks
    assert not audits & weekly_checks  # they read all of history: not every week
    assert history <= selected(jobs.reference_job)[0] and not audits & selected(jobs.reference_job)[1]
    assert as_purchased <= selected(jobs.publish_job)[0]
    assert audits <= selected(jobs.audit_job)[1] and audits <= selected(jobs.publish_job)[1]
    assert as_purchased <= selected(jobs.bucket_transactions_job)[0]
    for name in history | as_purchased:
        node = graph.get(dg.AssetKey(name))
        assert node.owners and node.metadata["dagster/table_name"].endswith(name.upper())
        assert node.metadata["dagster/column_schema"]
