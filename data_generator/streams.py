"""Independent random streams.

Each stream is seeded from (seed, stream tag, ...) so that the customers, the
prices, every day's sales and every day's faults are independent of each other
and of which other days are generated. That is what makes one month (or one
day) alone byte-identical to the same month inside a longer run.
"""

from __future__ import annotations

from datetime import date

import numpy as np

CUSTOMERS, PRICES, SALES, FAULTS, HISTORY = 1, 2, 3, 4, 5


def rng_for(seed: int, stream: int, *more: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream, *more])


def day_rng(seed: int, stream: int, day: date) -> np.random.Generator:
    return rng_for(seed, stream, day.year, day.month, day.day)
