"""Static customer attributes: drawn from the seed and the customer count only,
so the reference tables never change with the date range."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .catalogue import CATEGORIES, CATEGORY_WEIGHTS, base_prices
from .streams import CUSTOMERS, PRICES, rng_for

MAX_FAVOURITES = 3
NEVER_BUY_SHARE = 0.02
# Beta(2, 16) has mean ~0.11: a typical customer shops on about one day in nine.
_FREQ_A, _FREQ_B = 2.0, 16.0
PRICE_NOISE_PERCENT = 5  # a basket line's price is within +-5% of the product's base price


@dataclass(frozen=True)
class Population:
    """Everything a day's simulation needs that does not change day to day."""

    loyalty: np.ndarray  # (n,) int 1..10
    frequency: np.ndarray  # (n,) probability of buying on a given day
    buy_threshold: np.ndarray  # (n,) uint32 form of frequency, for raw-integer draws
    favourites: np.ndarray  # (n, MAX_FAVOURITES) category indices; only the first n_fav used
    n_favourites: np.ndarray  # (n,) int 1..MAX_FAVOURITES
    base_price: np.ndarray  # (products,) int
    price_spread: np.ndarray  # (products,) int, max per-line deviation from base_price

    @property
    def size(self) -> int:
        return len(self.loyalty)


@lru_cache(maxsize=4)
def population(customers: int, seed: int) -> Population:
    # Cached because every month of a run needs the same arrays.
    rng = rng_for(seed, CUSTOMERS)
    loyalty = rng.integers(1, 11, size=customers)
    frequency = rng.beta(_FREQ_A, _FREQ_B, size=customers)
    # A fixed count (not a coin per customer) so small populations still show the quirk.
    never = round(customers * NEVER_BUY_SHARE) or (1 if customers >= 20 else 0)
    frequency[rng.permutation(customers)[:never]] = 0.0

    # Weighted sampling without replacement via the Gumbel top-k trick: vectorised over customers.
    weights = np.array([CATEGORY_WEIGHTS[c] for c in CATEGORIES])
    keys = np.log(weights) + rng.gumbel(size=(customers, len(CATEGORIES)))
    favourites = np.ascontiguousarray(np.argsort(-keys, axis=1)[:, :MAX_FAVOURITES])
    n_favourites = rng.integers(1, MAX_FAVOURITES + 1, size=customers)

    prices = base_prices(rng_for(seed, PRICES))
    spread = prices * PRICE_NOISE_PERCENT // 100
    threshold = (frequency * 2**32).clip(max=2**32 - 1).astype(np.uint32)
    arrays = (loyalty, frequency, threshold, favourites, n_favourites, prices, spread)
    for arr in arrays:
        arr.setflags(write=False)  # shared through the cache: keep it immutable
    return Population(*arrays)
