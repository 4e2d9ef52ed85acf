"""Reference data that changes over a range: a dated customers.csv and products.csv per month.

`write_reference_history(out_dir, config, start, end)` writes, for the first day of every
month the range touches, `reference/d=YYYY-MM-01/customers.csv` and `products.csv` as they
stood that day, and makes the top-level customers.csv and products.csv the last month's
(the current files). The first month's files are `write_reference`'s, less the customers
who join later. Each later month, from the month before: a few customers' scores change
(SCORE_CHANGE_SHARE, at least one), the customers due that month join, now and then one
customer is away for the month (back the next: a soft delete and a re-appearance
downstream), and now and then one product moves to another category.

Deterministic: every month's changes come from a stream of their own, seeded by (seed,
month), applied to the month before, so the same (customers, seed, start, end) always give
the same files; changes accumulate from the range's first month, so another start gives
another history. The transactions do not depend on any of it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from .catalogue import CATEGORIES, PRODUCTS
from .config import GeneratorConfig
from .customers import population
from .dates import months_between
from .files import write_atomic
from .reference import CUSTOMERS_CSV, PRODUCTS_CSV, customers_csv, products_csv
from .streams import HISTORY, rng_for

SNAPSHOTS_DIR = "reference"
SCORE_CHANGE_SHARE = 0.05  # of customers whose score moves each month
JOINING_SHARE = 0.05  # of customers absent from the first month, joining in a later one
AWAY_CHANCE = 0.25  # that a month leaves one customer out (back the month after)
RECATEGORISE_CHANCE = 1 / 3  # that a month moves one product to another category


def snapshot_dir(day: date) -> str:
    """The folder of a day's snapshot, relative to the output folder."""
    return f"{SNAPSHOTS_DIR}/d={day.isoformat()}"


def _joining_month(customers: int, seed: int, months: int) -> np.ndarray:
    """Each customer's first month (index into the range): 0 for most."""
    first = np.zeros(customers, dtype=np.int64)
    joiners = round(customers * JOINING_SHARE) if months > 1 else 0
    if joiners:
        rng = rng_for(seed, HISTORY)
        first[rng.choice(customers, joiners, replace=False)] = rng.integers(1, months, joiners)
    return first


def write_reference_history(out_dir: Path, config: GeneratorConfig, start: date, end: date) -> dict:
    """One dated snapshot per month of [start, end], and the current files; returns what changed."""
    out_dir = Path(out_dir)
    months = months_between(start, end)
    scores = population(config.customers, config.seed).loyalty.copy()
    products = [list(row) for row in PRODUCTS]
    first = _joining_month(config.customers, config.seed, len(months))
    stats = {"snapshots": len(months), "score_changes": 0, "recategorised": 0, "away": 0, "files": []}
    stats["joined"] = int((first > 0).sum())
    for index, month in enumerate(months):
        present = first <= index
        if index:
            rng = rng_for(config.seed, HISTORY, month.year, month.month)
            moved = rng.choice(config.customers, max(1, round(config.customers * SCORE_CHANGE_SHARE)), replace=False)
            # a shift of 1..9 on a 1..10 scale, wrapping: always a different score
            scores[moved] = (scores[moved] + rng.integers(0, 9, len(moved))) % 10 + 1
            stats["score_changes"] += len(moved)
            if rng.random() < RECATEGORISE_CHANCE:
                product = products[rng.integers(len(products))]
                others = [c for c in CATEGORIES if c != product[2]]
                product[2] = others[rng.integers(len(others))]
                stats["recategorised"] += 1
            if rng.random() < AWAY_CHANCE:
                present = present.copy()
                present[rng.integers(config.customers)] = False
                stats["away"] += 1
        customers = customers_csv(scores, config.csv_bom, present)
        catalogue = products_csv(config.csv_bom, [tuple(row) for row in products])
        folder = out_dir / snapshot_dir(month)
        for name, content in ((CUSTOMERS_CSV, customers), (PRODUCTS_CSV, catalogue)):
            write_atomic(folder / name, content)
            stats["files"].append(str(folder / name))
    for name, content in ((CUSTOMERS_CSV, customers), (PRODUCTS_CSV, catalogue)):
        write_atomic(out_dir / name, content)  # the current files: the last month's
    return stats
