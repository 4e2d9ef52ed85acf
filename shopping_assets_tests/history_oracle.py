"""An independent computation of the reference history and the as-purchased views, from the files.

Plain Python (csv, json, datetime), sharing no code with the pipeline: the dated snapshots
(`reference/d=YYYY-MM-DD/`) in date order, then the current file as of `loaded_at`
(its load time, after every purchase), give each id's versions; a purchase takes the
version valid at its date_of_purchase, an id's first version if it is earlier than that,
and no version if its id was out of the file at the time.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

FOREVER = datetime(9999, 12, 31)


def _rows(path: Path, key: str, values: tuple[str, ...]) -> dict[str, tuple]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return {row[key]: tuple(row[v] for v in values) for row in csv.DictReader(handle)}


def versions(
    input_dir: Path, name: str, key: str, values: tuple[str, ...], loaded_at: datetime = FOREVER
) -> dict[str, list[tuple[datetime, datetime | None, tuple]]]:
    """id -> [(valid from, valid to or None, values)], oldest first."""
    files = sorted(
        (datetime.fromisoformat(folder.name[2:]), folder / name)
        for folder in (input_dir / "reference").glob("d=*")
        if (folder / name).is_file()
    )
    files.append((loaded_at, input_dir / name))
    found: dict[str, list[list]] = {}
    for as_of, path in files:
        rows = _rows(path, key, values)
        for id_, history in found.items():
            if history[-1][1] is None and rows.get(id_) != history[-1][2]:
                history[-1][1] = as_of  # changed or gone
        for id_, row in rows.items():
            history = found.setdefault(id_, [])
            if not history or history[-1][1] is not None:
                history.append([as_of, None, row])
    return {id_: [tuple(v) for v in history] for id_, history in found.items()}


def value_at(history: list[tuple[datetime, datetime | None, tuple]], when: datetime) -> tuple | None:
    if when < history[0][0]:
        return history[0][2]
    for start, end, row in history:
        if start <= when and (end is None or when < end):
            return row
    return None


def period_start(when: datetime, period: str) -> date:
    day = when.date()
    return day - timedelta(days=day.weekday()) if period == "WEEK" else day.replace(day=1)


def purchase_counts_as_purchased(
    input_dir: Path, period: str, loaded_at: datetime = FOREVER
) -> dict[tuple[str, int, str, str, date], int]:
    """(customer, score then, product, category then, period start) -> basket lines."""
    customers = versions(input_dir, "customers.csv", "customer_id", ("loyalty_score",), loaded_at)
    products = versions(input_dir, "products.csv", "product_id", ("product_category",), loaded_at)
    counts: Counter = Counter()
    for path in sorted((input_dir / "transactions").glob("d=*/transactions.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            transaction = json.loads(line)
            when = datetime.fromisoformat(transaction["date_of_purchase"])
            customer = transaction["customer_id"]
            score = value_at(customers[customer], when) if customer in customers else None
            for item in transaction["basket"]:
                product = item["product_id"]
                category = value_at(products[product], when) if product in products else None
                if score is not None and category is not None:
                    counts[(customer, int(score[0]), product, category[0], period_start(when, period))] += 1
    return dict(counts)
