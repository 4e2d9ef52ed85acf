"""One day of sales as numpy arrays (no per-transaction Python).

All randomness of a day comes from one day-seeded generator as raw 32-bit
integers turned into draws with integer arithmetic: several times faster than
numpy's float samplers, which dominated the run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .catalogue import MAX_PRICE, MIN_PRICE, category_index
from .customers import Population
from .streams import SALES, day_rng

MAX_BASKET = 3
_BASKET_SIZE_P = (0.35, 0.35, 0.30)  # sizes 1, 2, 3: mean 1.95
# Shop hours 07:00-22:59, busiest around lunch and after work.
_HOUR_W = np.array([1, 2, 3, 4, 5, 6, 5, 4, 4, 5, 6, 6, 5, 3, 2, 1], float)
_FIRST_HOUR = 7
ROLLOVER_SHARE = 0.01  # late purchases stamped after midnight, i.e. the next day
MICROS_SHARE = 0.02  # timestamps that carry microseconds

_ORDER, _CAT_START, _CAT_COUNT = category_index()
_U32 = 2**32


def _thresholds(probabilities) -> np.ndarray:
    """uint32 cut points: a raw draw below cut[i] falls in bucket <= i."""
    cut = np.cumsum(probabilities) / np.sum(probabilities) * _U32
    return cut.clip(max=_U32 - 1).astype(np.uint32)


_SIZE_CUT = _thresholds(_BASKET_SIZE_P)[:-1]
# Hour from the top 12 bits of a draw: a table lookup beats searchsorted here.
_HOUR_LUT = _FIRST_HOUR + np.searchsorted(
    _thresholds(_HOUR_W)[:-1], np.arange(4096, dtype=np.uint32) << 20, side="right"
)
_ROLL_CUT = np.uint32(ROLLOVER_SHARE * _U32)
_MICRO_CUT = np.uint32(MICROS_SHARE * _U32)


def _below(u: np.ndarray, n) -> np.ndarray:
    """Map uint32 draws to integers in [0, n) (multiply-shift; bias < n / 2**32)."""
    return ((u.astype(np.uint64) * np.asarray(n, dtype=np.uint64)) >> np.uint64(32)).astype(np.int64)


@dataclass(frozen=True)
class DaySales:
    """Transactions of one day, sorted by timestamp then customer.

    seconds may be >= 86400 (rolled past midnight); items beyond `size` are padding.
    """

    customer: np.ndarray  # (t,) 0-based customer index
    size: np.ndarray  # (t,) basket lines 1..MAX_BASKET
    product: np.ndarray  # (t, MAX_BASKET) 0-based product index
    price: np.ndarray  # (t, MAX_BASKET) int
    seconds: np.ndarray  # (t,) seconds since the folder day's midnight
    micros: np.ndarray  # (t,) 0 = printed without a fraction

    def __len__(self) -> int:
        return len(self.customer)


def _raw(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    words = rng.bit_generator.random_raw((rows * cols + 1) // 2)
    return words.view(np.uint32)[: rows * cols].reshape(rows, cols)


def simulate_day(pop: Population, seed: int, day: date) -> DaySales:
    rng = day_rng(seed, SALES, day)
    buyers = np.flatnonzero(_raw(rng, 1, pop.size)[0] < pop.buy_threshold)
    t = len(buyers)
    u = _raw(rng, 13, t)

    slot = _below(u[0], pop.n_favourites[buyers])
    category = np.take(pop.favourites, buyers * pop.favourites.shape[1] + slot)
    size = 1 + sum((u[1] >= cut).astype(np.int64) for cut in _SIZE_CUT)
    # With replacement: the same product can land twice in one basket.
    within = _below(u[2:5], _CAT_COUNT[category])
    product = _ORDER[_CAT_START[category] + within].T
    spread = np.take(pop.price_spread, product)
    price = np.take(pop.base_price, product) + _below(u[5:8].T, 2 * spread + 1) - spread
    np.clip(price, MIN_PRICE, MAX_PRICE, out=price)

    hour = np.take(_HOUR_LUT, u[8] >> 20)
    seconds = hour * 3600 + _below(u[9], 3600)
    rolled = u[10] < _ROLL_CUT
    seconds[rolled] = 86400 + seconds[rolled] % 3600
    micros = np.where(u[11] < _MICRO_CUT, 1 + _below(u[12], 999_999), 0)

    # One unique int64 key (timestamp, customer) sorts much faster than lexsort.
    # It fits while customers * 2 days of microseconds < 2**63, i.e. ~50 million customers.
    if pop.size < 50_000_000:
        order = np.argsort((seconds * 1_000_000 + micros) * pop.size + buyers)
    else:
        order = np.lexsort((buyers, micros, seconds))
    return DaySales(buyers[order], size[order], product[order], price[order], seconds[order], micros[order])
