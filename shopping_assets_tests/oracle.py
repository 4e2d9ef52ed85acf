"""An independent computation of the expected view, straight from the input files.

Plain Python (csv, json), sharing no code with the pipeline, so the tests compare
the warehouse's answer with one reached another way.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def purchase_counts(input_dir: Path, skip: set[tuple[str, int]] = frozenset()) -> dict[tuple[str, int, str, str], int]:
    """Basket lines per (customer, product) over every line not in `skip` ((relative file, line number))."""
    customers = {row["customer_id"]: int(row["loyalty_score"]) for row in _csv(input_dir / "customers.csv")}
    products = {row["product_id"]: row["product_category"] for row in _csv(input_dir / "products.csv")}
    counts: Counter[tuple[str, int, str, str]] = Counter()
    for path in sorted((input_dir / "transactions").glob("d=*/transactions.json")):
        relative = path.relative_to(input_dir).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or (relative, number) in skip:
                continue
            transaction = json.loads(line)
            customer = transaction["customer_id"]
            for item in transaction["basket"]:
                product = item["product_id"]
                if customer in customers and product in products:
                    counts[(customer, customers[customer], product, products[product])] += 1
    return dict(counts)


def line_count(input_dir: Path, month: str) -> int:
    """Lines in a month's files (month as YYYY-MM)."""
    total = 0
    for path in (input_dir / "transactions").glob(f"d={month}-*/transactions.json"):
        total += len(path.read_bytes().splitlines())
    return total


def purchase_counts_between(input_dir: Path, first: str, before: str) -> dict[tuple[str, str], int]:
    """Basket lines per (customer, product) purchased on days in [first, before), by date_of_purchase."""
    customers = {row["customer_id"] for row in _csv(input_dir / "customers.csv")}
    products = {row["product_id"] for row in _csv(input_dir / "products.csv")}
    counts: Counter[tuple[str, str]] = Counter()
    for path in sorted((input_dir / "transactions").glob("d=*/transactions.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            transaction = json.loads(line)
            if not first <= transaction["date_of_purchase"][:10] < before:
                continue
            for item in transaction["basket"]:
                if transaction["customer_id"] in customers and item["product_id"] in products:
                    counts[(transaction["customer_id"], item["product_id"])] += 1
    return dict(counts)


def weekly_summary(input_dir: Path, weeks: int) -> dict[date, tuple[int, int, int]]:
    """Per Monday of the last `weeks` weeks up to the latest basket line's purchase (its week
    included): (customers who bought, products bought, basket lines), known ids only."""
    customers = {row["customer_id"] for row in _csv(input_dir / "customers.csv")}
    products = {row["product_id"] for row in _csv(input_dir / "products.csv")}
    latest = None
    lines: dict[date, list[tuple[str, str]]] = {}
    for path in sorted((input_dir / "transactions").glob("d=*/transactions.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            transaction = json.loads(line)
            bought = datetime.fromisoformat(transaction["date_of_purchase"])
            monday = bought.date() - timedelta(days=bought.weekday())
            for item in transaction["basket"]:
                latest = bought if latest is None else max(latest, bought)
                if transaction["customer_id"] in customers and item["product_id"] in products:
                    lines.setdefault(monday, []).append((transaction["customer_id"], item["product_id"]))
    if latest is None:
        return {}
    first_monday = latest.date() - timedelta(days=latest.weekday() + 7 * (weeks - 1))
    return {
        monday: (len({c for c, _ in bought}), len({p for _, p in bought}), len(bought))
        for monday, bought in sorted(lines.items())
        if monday >= first_monday
    }
