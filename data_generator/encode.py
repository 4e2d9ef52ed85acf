"""Vectorised JSON Lines encoding (no Python loop per transaction).

A line is a sequence of pieces: customer head, 1..3 basket items, date, time
with the closing ``"}\n``, and for a few lines microseconds (re-closing). Each piece comes from a precomputed table of
byte strings stored as fixed-width numpy void items (NUL-padded) with their
true lengths. Knowing every piece's length gives every piece's byte offset
(a cumsum); each piece kind is then scattered into the output buffer in one
vectorised assignment through a byte-strided void view.

A padded piece writes a few junk bytes past its true end; pieces are written
kind by kind in line order, so the next kind always overwrites that junk, and
a line's fixed-width tail (>= 46 bytes) keeps junk from reaching the next
line. The output equals ``json.dumps(record) + "\\n"`` with default separators.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from .catalogue import MAX_PRICE, PRODUCTS
from .simulate import MAX_BASKET, DaySales
from .text import as_void, numbered

_Table = tuple[np.ndarray, np.ndarray]  # (rows,) void items and (rows,) int64 lengths

_DATE_LEN, _TIME_LEN = len('], "date_of_purchase": "2018-09-01 '), len("11:09:00")
_MICRO = len(".123456")
_CLOSE = b'"}\n'


@lru_cache(maxsize=4)
def _head_table(customers: int) -> _Table:
    rows, lengths = numbered(b'{"customer_id": "C', 1, customers, b'", "basket": [')
    return as_void(rows), lengths


@lru_cache(maxsize=2)
def _item_table(separator: str) -> _Table:
    """Item text for every (product, price), row product * (MAX_PRICE + 1) + price."""
    heads = np.array([f'{separator}{{"product_id": "{p}", "price": '.encode() for p, _, _ in PRODUCTS])
    if len(set(map(len, heads))) != 1:
        raise ValueError("product ids must share one width")
    heads = heads.view(np.uint8).reshape(len(heads), -1)
    prices, price_len = numbered(b"", 0, MAX_PRICE, b"}")
    rows = np.concatenate(
        [
            np.broadcast_to(heads[:, None, :], (len(heads), len(prices), heads.shape[1])),
            np.broadcast_to(prices[None], (len(heads), *prices.shape)),
        ],
        axis=2,
    )
    lengths = np.broadcast_to(heads.shape[1] + price_len, (len(heads), len(prices)))
    return as_void(rows.reshape(-1, rows.shape[2])), lengths.ravel()


@lru_cache(maxsize=1)
def _time_table() -> np.ndarray:
    s = np.arange(86400)
    digits = np.stack([s // 36000, s // 3600 % 10, s // 600 % 6, s // 60 % 10, s // 10 % 6, s % 10], 1)
    table = np.full((86400, 11), ord(":"), dtype=np.uint8)
    table[:, [0, 1, 3, 4, 6, 7]] = digits + ord("0")
    table[:, 8:] = np.frombuffer(_CLOSE, dtype=np.uint8)
    return as_void(table)  # "HH:MM:SS" plus the line's close


def _scatter(buf: np.ndarray, offsets: np.ndarray, values: np.ndarray) -> None:
    """buf[o : o + width] = value for each offset, in order (later writes win)."""
    width = values.dtype.itemsize
    view = np.ndarray(shape=(len(buf) - width + 1,), dtype=values.dtype, buffer=buf, strides=(1,))
    view[offsets] = values


def encode_day(sales: DaySales, day: date, customers: int) -> np.ndarray:
    """The day file's content as a uint8 array: one JSON line per transaction, each
    ending with a newline."""
    t = len(sales)
    if t == 0:
        return np.empty(0, dtype=np.uint8)
    head, head_len = _head_table(customers)
    line_len = np.take(head_len, sales.customer) + (_DATE_LEN + _TIME_LEN + len(_CLOSE))
    items = []  # (rows holding item j, void values, lengths over all rows)
    for j in range(MAX_BASKET):
        rows = np.flatnonzero(sales.size > j) if j else slice(None)
        table, table_len = _item_table(", " if j else "")
        key = sales.product[rows, j] * (MAX_PRICE + 1) + sales.price[rows, j]
        length = np.zeros(t, dtype=np.int64)
        length[rows] = np.take(table_len, key)
        line_len += length
        items.append((rows, np.take(table, key), length))
    micro_rows = np.flatnonzero(sales.micros)
    line_len[micro_rows] += _MICRO
    total = int(line_len.sum())
    buf = np.empty(total + 64, dtype=np.uint8)  # slack for the last line's junk bytes

    # Pieces kind by kind, in line order; `at` walks to each piece's offset.
    at = np.cumsum(line_len) - line_len
    _scatter(buf, at, np.take(head, sales.customer))
    at += np.take(head_len, sales.customer)
    for rows, values, length in items:
        _scatter(buf, at[rows], values)
        at += length
    rolled = sales.seconds >= 86400
    dates = np.array(
        [f'], "date_of_purchase": "{d.isoformat()} '.encode() for d in (day, day + timedelta(days=1))],
        dtype=f"V{_DATE_LEN}",
    )
    _scatter(buf, at, np.take(dates, rolled.astype(np.intp)))
    at += _DATE_LEN
    _scatter(buf, at, np.take(_time_table(), sales.seconds - 86400 * rolled))  # time + close
    if len(micro_rows):  # ".ffffff" + close, over the close just written
        m = sales.micros[micro_rows]
        text = np.empty((len(m), _MICRO + len(_CLOSE)), dtype=np.uint8)
        text[:, 0] = ord(".")
        text[:, 1:_MICRO] = m[:, None] // 10 ** np.arange(5, -1, -1) % 10 + ord("0")
        text[:, _MICRO:] = np.frombuffer(_CLOSE, dtype=np.uint8)
        _scatter(buf, at[micro_rows] + _TIME_LEN, as_void(text))
    return buf[:total]


def warm_tables(customers: int) -> None:
    """Build the lookup tables now (e.g. before forking workers that share them)."""
    _head_table(customers)
    _item_table("")
    _item_table(", ")
    _time_table()
