"""Building many short ASCII strings with numpy instead of Python string formatting."""

from __future__ import annotations

import numpy as np


def numbered(prefix: bytes, first: int, last: int, suffix: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Rows `prefix + str(i) + suffix` for i in first..last (first >= 0).

    Returns a (rows, width) uint8 matrix, each row left-aligned and NUL-padded,
    and the row lengths. Numbers of equal digit count form contiguous row
    ranges, so each range is filled with a few slice assignments.
    """
    values = np.arange(first, last + 1)
    width = len(str(last))
    digits = (values[:, None] // 10 ** np.arange(width - 1, -1, -1) % 10 + ord("0")).astype(np.uint8)
    p, s = len(prefix), len(suffix)
    out = np.zeros((len(values), p + width + s), dtype=np.uint8)
    out[:, :p] = np.frombuffer(prefix, dtype=np.uint8)
    lengths = np.empty(len(values), dtype=np.int64)
    for d in range(1, width + 1):
        lo = max(first, 10 ** (d - 1) if d > 1 else 0) - first
        hi = min(last + 1, 10**d) - first
        if lo >= hi:
            continue
        out[lo:hi, p : p + d] = digits[lo:hi, width - d :]
        out[lo:hi, p + d : p + d + s] = np.frombuffer(suffix, dtype=np.uint8)
        lengths[lo:hi] = p + d + s
    return out, lengths


def as_void(rows: np.ndarray) -> np.ndarray:
    """(n, width) uint8 -> (n,) void items of that width, for fast whole-row take/scatter."""
    rows = np.ascontiguousarray(rows)
    return rows.view(f"V{rows.shape[1]}").ravel()
