"""Tests of the input data generator (data_generator/): layout, schema, determinism,
per-month independence, distributions and the fault manifest."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from data_generator import (
    CATEGORIES,
    CATEGORY_WEIGHTS,
    FAULT_KINDS,
    PRODUCTS,
    GeneratorConfig,
    command_line,
    generate,
    load_fault_manifest,
    months_between,
    write_month,
    write_reference,
)
from data_generator.customers import population

KEYS = ["customer_id", "basket", "date_of_purchase"]


# --- helpers ---------------------------------------------------------------------------


def hashes(root: Path, pattern: str = "**/*") -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob(pattern))
        if p.is_file()
    }


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def known_ids(root: Path) -> tuple[set[str], set[str]]:
    customers = {row[0] for row in read_csv(root / "customers.csv")[1:]}
    products = {row[0] for row in read_csv(root / "products.csv")[1:]}
    return customers, products


def folder_day(path: Path) -> date:
    return date.fromisoformat(path.parent.name.removeprefix("d="))


def day_files(root: Path) -> list[Path]:
    return sorted((root / "transactions").glob("d=*/transactions.json"))


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S")


def good_record(line: str, day: date, customers: set[str], products: set[str]) -> dict | None:
    """The parsed record if `line` is a well-formed transaction of folder `day`, else None."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or list(record) != KEYS or json.dumps(record) != line:
        return None
    basket = record["basket"]
    if record["customer_id"] not in customers or not isinstance(basket, list) or not 1 <= len(basket) <= 3:
        return None
    for item in basket:
        if list(item) != ["product_id", "price"] or item["product_id"] not in products:
            return None
        if type(item["price"]) is not int or not 1 <= item["price"] <= 2000:
            return None
    try:
        stamp = parse_time(record["date_of_purchase"])
    except (TypeError, ValueError):
        return None
    return record if stamp.date() in (day, day + timedelta(days=1)) else None


def all_lines(root: Path) -> list[tuple[Path, str]]:
    return [(f, line) for f in day_files(root) for line in f.read_text().splitlines()]


# --- fixtures: small runs shared by several tests --------------------------------------


@pytest.fixture(scope="module")
def sept(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sept")
    generate(out, GeneratorConfig(customers=400, seed=7), date(2018, 9, 1), date(2018, 9, 30), progress=False)
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("big")
    stats = generate(
        out, GeneratorConfig(customers=3000, seed=3), date(2018, 8, 1), date(2018, 9, 30), progress=False, workers=2
    )
    return out, stats


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("faulty")
    config = GeneratorConfig(customers=300, seed=11, faults=0.2, csv_bom=True)
    stats = generate(out, config, date(2018, 8, 1), date(2018, 9, 30), progress=False)
    return out, stats


# --- layout and schema -----------------------------------------------------------------


def test_config_defaults():
    assert GeneratorConfig() == GeneratorConfig(customers=137, seed=42, faults=0.0)
    with pytest.raises(ValueError):
        GeneratorConfig(seed=-1)


def test_customers_csv(sept):
    raw = (sept / "customers.csv").read_bytes()
    assert raw.startswith(b"customer_id,loyalty_score\r\n")
    assert raw.endswith(b"\r\n") and raw.count(b"\n") == raw.count(b"\r\n")
    rows = read_csv(sept / "customers.csv")[1:]
    assert [r[0] for r in rows] == [f"C{i}" for i in range(1, 401)]
    scores = [int(r[1]) for r in rows]
    assert min(scores) == 1 and max(scores) == 10


def test_products_csv(sept):
    raw = (sept / "products.csv").read_bytes()
    assert raw.startswith(b"product_id,product_description,product_category\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n") == len(PRODUCTS) + 1
    assert b'"12"" pizza"' in raw  # a quote inside a quoted field is doubled
    rows = read_csv(sept / "products.csv")
    assert [tuple(r) for r in rows[1:]] == list(PRODUCTS)
    ids = [r[0] for r in rows[1:]]
    assert ids[0] == "P01" and len(set(ids)) == len(ids) and {len(i) for i in ids} == {3}
    descriptions = [r[1] for r in rows[1:]]
    assert any("'" in d for d in descriptions)
    assert any("," in d for d in descriptions)
    assert any('"' in d for d in descriptions)


def test_day_files_layout_and_lines(sept):
    files = day_files(sept)
    assert [folder_day(f) for f in files] == [date(2018, 9, d) for d in range(1, 31)]
    assert {p.name for p in (sept / "transactions").iterdir()} == {f"d=2018-09-{d:02d}" for d in range(1, 31)}
    customers, products = known_ids(sept)
    for f in files:
        raw = f.read_bytes()
        assert raw == b"" or raw.endswith(b"\n")
        keys = []
        for line in raw.decode().splitlines():
            record = good_record(line, folder_day(f), customers, products)
            assert record is not None, line
            keys.append((parse_time(record["date_of_purchase"]), int(record["customer_id"][1:])))
        assert keys == sorted(keys), f"{f} not sorted by time then customer"
        assert len(set(k[1] for k in keys)) == len(keys)  # one basket per customer a day


def test_empty_file_for_a_day_without_sales(tmp_path):
    generate(tmp_path, GeneratorConfig(customers=3), date(2018, 9, 1), date(2018, 9, 30), progress=False)
    sizes = [f.stat().st_size for f in day_files(tmp_path)]
    assert len(sizes) == 30 and 0 in sizes


# --- determinism and independence ------------------------------------------------------


def test_same_arguments_give_identical_bytes(tmp_path):
    config = GeneratorConfig(customers=200, seed=5, faults=0.05, csv_bom=True)
    for name in ("a", "b"):
        generate(tmp_path / name, config, date(2018, 8, 20), date(2018, 9, 10), progress=False)
    assert hashes(tmp_path / "a") == hashes(tmp_path / "b")
    assert len(hashes(tmp_path / "a")) > 20
    generate(
        tmp_path / "c", GeneratorConfig(customers=200, seed=6), date(2018, 8, 20), date(2018, 9, 10), progress=False
    )
    assert hashes(tmp_path / "a", "transactions/**/*") != hashes(tmp_path / "c", "transactions/**/*")


@pytest.mark.parametrize("faults", [0.0, 0.1])
def test_one_month_alone_equals_that_month_in_a_longer_range(tmp_path, faults):
    config = GeneratorConfig(customers=250, seed=9, faults=faults)
    long, alone = tmp_path / "long", tmp_path / "alone"
    generate(long, config, date(2018, 7, 1), date(2018, 10, 31), progress=False, workers=2)
    stats = write_month(alone, date(2018, 9, 1), config)
    assert stats["days"] == 30 and len(stats["files"]) == 30
    sept = "transactions/d=2018-09-*/*"
    assert hashes(alone, sept) == hashes(long, sept) and len(hashes(alone, sept)) == 30
    assert hashes(alone, "transactions/**/*") == hashes(alone, sept)  # nothing else written
    if faults:
        assert hashes(alone, "faults/2018-09.json") == hashes(long, "faults/2018-09.json")
        long_sept = [e for e in load_fault_manifest(long) if "2018-09-" in e["file"]]
        assert load_fault_manifest(alone) == long_sept


def test_partial_range_days_equal_full_month_days(tmp_path):
    config = GeneratorConfig(customers=250, seed=9, faults=0.1)
    write_month(tmp_path / "full", date(2018, 9, 1), config)
    stats = write_month(tmp_path / "part", date(2018, 9, 1), config, start=date(2018, 9, 10), end=date(2018, 9, 20))
    part = hashes(tmp_path / "part", "transactions/**/*")
    assert stats["days"] == 11 and len(part) == 11
    assert part == {k: v for k, v in hashes(tmp_path / "full", "transactions/**/*").items() if k in part}
    # generate() cutting a month in the middle gives the same days too
    generate(tmp_path / "gen", config, date(2018, 9, 10), date(2018, 9, 20), progress=False)
    assert hashes(tmp_path / "gen", "transactions/**/*") == part


def test_rewriting_some_days_merges_the_month_manifest(tmp_path):
    config = GeneratorConfig(customers=250, seed=9, faults=0.1)
    write_month(tmp_path / "full", date(2018, 9, 1), config)
    write_month(tmp_path / "split", date(2018, 9, 1), config, end=date(2018, 9, 14))
    write_month(tmp_path / "split", date(2018, 9, 1), config, start=date(2018, 9, 15))
    write_month(tmp_path / "split", date(2018, 9, 1), config, start=date(2018, 9, 15))  # again: replaces
    assert hashes(tmp_path / "split", "faults/*") == hashes(tmp_path / "full", "faults/*")
    assert load_fault_manifest(tmp_path / "split") == load_fault_manifest(tmp_path / "full")


def test_reference_tables_do_not_depend_on_the_date_range(tmp_path):
    config = GeneratorConfig(customers=120, seed=4)
    generate(tmp_path / "a", config, date(2018, 1, 1), date(2018, 1, 5), progress=False)
    generate(tmp_path / "b", config, date(2020, 6, 1), date(2020, 8, 31), progress=False)
    stats = write_reference(tmp_path / "c", config)
    assert stats["customers"] == 120 and stats["products"] == len(PRODUCTS) and len(stats["files"]) == 2
    ref = "*.csv"
    assert hashes(tmp_path / "a", ref) == hashes(tmp_path / "b", ref) == hashes(tmp_path / "c", ref)
    assert stats["bytes"] == sum((tmp_path / "c" / n).stat().st_size for n in ("customers.csv", "products.csv"))


# --- catalogue: the starter's KeyError: 'bws' cannot happen -----------------------------


def test_every_weighted_category_has_products():
    categories = Counter(cat for _, _, cat in PRODUCTS)
    assert set(CATEGORY_WEIGHTS) == set(CATEGORIES) == set(categories)
    assert categories["bws"] >= 3
    assert 60 <= len(PRODUCTS) <= 99


def test_bws_products_are_bought(big):
    out, _ = big
    bws = {p for p, _, cat in PRODUCTS if cat == "bws"}
    bought = {i["product_id"] for _, line in all_lines(out) for i in json.loads(line)["basket"]}
    assert bws & bought and bought <= {p for p, _, _ in PRODUCTS}


# --- distributions ---------------------------------------------------------------------


def test_distributions_and_quirks(big):
    out, stats = big
    records = [(f, json.loads(line)) for f, line in all_lines(out)]
    sizes = [len(r["basket"]) for _, r in records]
    assert len(records) == stats["transactions"] > 10_000
    assert sum(sizes) == stats["basket_lines"]
    assert 1.5 <= sum(sizes) / len(sizes) <= 2.5
    assert set(sizes) == {1, 2, 3}
    assert any(len({i["product_id"] for i in r["basket"]}) < len(r["basket"]) for _, r in records)
    prices = [i["price"] for _, r in records for i in r["basket"]]
    assert min(prices) >= 1 and max(prices) <= 2000
    rolled = [r for f, r in records if parse_time(r["date_of_purchase"]).date() > folder_day(f)]
    assert 0.002 < len(rolled) / len(records) < 0.03
    assert all(r["date_of_purchase"][11:13] == "00" for r in rolled)
    micro = [r for _, r in records if "." in r["date_of_purchase"]]
    assert 0.005 < len(micro) / len(records) < 0.05
    per_customer_day = len(records) / (3000 * 61)
    assert 0.05 < per_customer_day < 0.15
    # 2% of customers never buy; a few low-frequency ones happen not to buy in two months.
    frequency = population(3000, 3).frequency
    never = {f"C{i + 1}" for i in (frequency == 0).nonzero()[0]}
    buyers = {r["customer_id"] for _, r in records}
    assert len(never) == 60 and not never & buyers
    assert 60 <= 3000 - len(buyers) <= 300


def test_months_between_and_cli_range(tmp_path):
    assert months_between(date(2018, 11, 15), date(2019, 2, 1)) == [
        date(2018, 11, 1),
        date(2018, 12, 1),
        date(2019, 1, 1),
        date(2019, 2, 1),
    ]
    with pytest.raises(ValueError):
        months_between(date(2019, 1, 2), date(2019, 1, 1))
    with pytest.raises(ValueError):
        write_month(tmp_path, date(2018, 9, 2), GeneratorConfig())
    assert (
        command_line.main(
            [
                "--out",
                str(tmp_path / "o"),
                "--customers",
                "20",
                "--months",
                "2",
                "--end",
                "2026-11-03",
                "--quiet",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    days = [folder_day(f) for f in day_files(tmp_path / "o")]
    assert days[0] == date(2026, 10, 1) and days[-1] == date(2026, 11, 3) and len(days) == 34


def test_cli_mounts_as_a_subcommand(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="shop")
    command_line.add_arguments(parser.add_subparsers(dest="command").add_parser("generate"))
    args = parser.parse_args(
        [
            "generate",
            "--out",
            str(tmp_path),
            "--customers",
            "10",
            "--start",
            "2018-09-01",
            "--end",
            "2018-09-03",
            "--workers",
            "1",
        ]
    )
    stats = command_line.run_from_args(args)
    assert stats["days"] == 3 and len(day_files(tmp_path)) == 3
    assert "transactions/s" in capsys.readouterr().out


# --- faults ----------------------------------------------------------------------------


def _check_fault(
    kind: str, line: str, prev: str | None, last: bool, raw: bytes, day: date, customers: set[str], products: set[str]
) -> None:
    if kind in ("malformed_json", "truncated_last_line"):
        with pytest.raises(ValueError):
            json.loads(line)
        if kind == "truncated_last_line":
            assert last and not raw.endswith(b"\n")
        return
    if kind == "duplicate_line":
        assert line == prev
        return
    assert good_record(line, day, customers, products) is None
    record = json.loads(line)
    basket = record.get("basket")
    items = basket if isinstance(basket, list) else []
    prices = [i.get("price") for i in items]
    checks = {
        "unknown_customer": lambda: record["customer_id"] not in customers
        and good_record(line.replace(record["customer_id"], "C1"), day, customers, products) is not None,
        "unknown_product": lambda: any(i["product_id"] not in products for i in items)
        and record["customer_id"] in customers,
        "missing_basket": lambda: "basket" not in record,
        "basket_not_list": lambda: isinstance(basket, dict),
        "empty_basket": lambda: basket == [],
        "missing_product_id": lambda: any("product_id" not in i for i in items),
        "price_missing": lambda: any("price" not in i for i in items),
        "price_zero": lambda: 0 in prices,
        "price_negative": lambda: any(type(p) is int and p < 0 for p in prices),
        "price_non_integer": lambda: any(type(p) is float and p != int(p) for p in prices),
        "price_string": lambda: any(isinstance(p, str) and p.isdigit() for p in prices),
        "date_missing": lambda: "date_of_purchase" not in record,
        "date_unparseable": lambda: _unparseable(record["date_of_purchase"]),
        "date_out_of_window": lambda: abs((parse_time(record["date_of_purchase"]).date() - day).days) >= 59,
    }
    assert checks[kind](), (kind, line)


def _unparseable(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return True
    return False


def test_fault_manifest_matches_the_files(faulty):
    out, stats = faulty
    entries = load_fault_manifest(out)
    assert {e["kind"] for e in entries} == set(FAULT_KINDS) | {"csv_bom"}
    assert {(e["file"], e["line"]) for e in entries if e["kind"] == "csv_bom"} == {
        ("customers.csv", 1),
        ("products.csv", 1),
    }
    assert (out / "customers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    customers, products = known_ids(out)
    by_line = {(e["file"], e["line"]): e["kind"] for e in entries}
    assert len(by_line) == len(entries)
    merged = json.loads((out / "faults_manifest.json").read_text())
    assert merged["faults"] == entries and merged["totals"]["injected"] == len(entries)

    total_lines = total_good = 0
    for f in day_files(out):
        name = str(f.relative_to(out))
        raw = f.read_bytes()
        lines = raw.decode().split("\n")
        if raw.endswith(b"\n") or not raw:
            lines = lines[:-1]
        injected = 0
        for n, line in enumerate(lines, start=1):
            kind = by_line.get((name, n))
            if kind is None:
                assert good_record(line, folder_day(f), customers, products) is not None, (name, n, line)
                continue
            injected += 1
            prev = lines[n - 2] if n > 1 else None
            _check_fault(kind, line, prev, n == len(lines), raw, folder_day(f), customers, products)
        assert merged["files"][name] == {"lines": len(lines), "good_lines": len(lines) - injected}
        assert injected == sum(1 for e in entries if e["file"] == name)
        total_lines += len(lines)
        total_good += len(lines) - injected
    assert stats["lines"] == total_lines and stats["transactions"] == total_good
    assert stats["faults"] == len(entries) - 2  # the two csv_bom entries are file-level
    assert 0.1 < stats["faults"] / total_lines < 0.3


def test_no_faults_means_no_manifest(tmp_path):
    config = GeneratorConfig(customers=100, seed=1, faults=0.1, csv_bom=True)
    generate(tmp_path, config, date(2018, 9, 1), date(2018, 9, 30), progress=False)
    assert load_fault_manifest(tmp_path)
    clean = GeneratorConfig(customers=100, seed=1)
    generate(tmp_path, clean, date(2018, 9, 1), date(2018, 9, 30), progress=False)
    assert load_fault_manifest(tmp_path) == []
    assert not (tmp_path / "faults_manifest.json").exists()
    assert not list((tmp_path / "faults").glob("*.json"))
    generate(tmp_path / "fresh", clean, date(2018, 9, 1), date(2018, 9, 30), progress=False)
    assert hashes(tmp_path, "transactions/**/*") == hashes(tmp_path / "fresh", "transactions/**/*")
    assert hashes(tmp_path, "*.csv") == hashes(tmp_path / "fresh", "*.csv")
    assert load_fault_manifest(tmp_path / "fresh") == [] and not (tmp_path / "fresh" / "faults").exists()
