"""Fault injection for data-quality testing, and the manifest of what was injected.

After a day's good lines are encoded, about `rate` of them are replaced by (or,
for duplicate_line, followed by) bad lines drawn uniformly from FAULT_KINDS.
Each day's faults come from their own seeded stream, so they are as
deterministic and independent of other days as the good lines.

Manifests: one JSON file per month, ``faults/YYYY-MM.json`` (authoritative;
rewriting some days of a month replaces just those files' entries), plus
``faults/reference.json`` for CSV faults, and a merged convenience copy,
``faults_manifest.json``, rebuilt from them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from .catalogue import PRODUCTS

FAULTS_DIR = "faults"
MERGED_MANIFEST = "faults_manifest.json"
REFERENCE_MANIFEST = "reference.json"

# Stable reason codes: downstream data-quality checks and tests key on them.
FAULT_KINDS: dict[str, str] = {
    "malformed_json": "line is not valid JSON (cut short, missing colon, or single quotes)",
    "unknown_customer": "valid JSON; customer_id is not in customers.csv",
    "unknown_product": "valid JSON; one basket product_id is not in products.csv",
    "missing_basket": "no basket key",
    "basket_not_list": "basket is an object, not a list",
    "empty_basket": "basket is []",
    "missing_product_id": "one basket item has no product_id",
    "price_missing": "one basket item has no price",
    "price_zero": "one basket item has price 0",
    "price_negative": "one basket item has a negative price",
    "price_non_integer": "one basket item has a fractional price, e.g. 12.5",
    "price_string": 'one basket item has its price as a string, e.g. "12"',
    "date_missing": "no date_of_purchase key",
    "date_unparseable": "date_of_purchase is not a timestamp, e.g. 2018-13-45 99:99:99",
    "date_out_of_window": "date_of_purchase is 60..400 days away from its folder day",
    "duplicate_line": "an exact copy of the previous (good) line, inserted",
    "truncated_last_line": "the file's last line is cut short and has no trailing newline",
}
CSV_BOM = "csv_bom"  # reference CSVs start with a UTF-8 byte order mark (a file-level fault)

UNPARSEABLE_DATES = ("not a date", "2018-13-45 99:99:99", "32/09/2018 10:00", "0000-00-00 00:00:00")
_KINDS = tuple(FAULT_KINDS)


def _edit(line: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    record = json.loads(line)
    change(record)
    return json.dumps(record).encode()


def _item(record: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    return record["basket"][int(rng.integers(len(record["basket"])))]


def _malformed(line: bytes, rng: np.random.Generator) -> bytes:
    variant = int(rng.integers(3))
    if variant == 0:  # a proper prefix of a JSON object is never valid JSON
        return line[: int(rng.integers(1, len(line) - 1))]
    if variant == 1:
        return line.replace(b'": ', b'" ', 1)
    return line.replace(b'"', b"'")


def _bad_line(kind: str, line: bytes, rng: np.random.Generator, customers: int, day: date) -> bytes:
    """A bad replacement for a good line (every kind except duplicate/truncated)."""
    width = len(PRODUCTS[0][0]) - 1

    def set_item(key: str, value: Any = None, delete: bool = False) -> Callable[[dict], None]:
        def change(record: dict[str, Any]) -> None:
            item = _item(record, rng)
            if delete:
                del item[key]
            else:
                item[key] = value(item) if callable(value) else value

        return change

    def shift_date(record: dict[str, Any]) -> None:
        days = int(rng.integers(60, 401)) * (1 if rng.integers(2) else -1)
        text = record["date_of_purchase"]
        record["date_of_purchase"] = (day + timedelta(days=days)).isoformat() + text[10:]

    edits: dict[str, Callable[[dict[str, Any]], None]] = {
        "unknown_customer": lambda r: r.update(customer_id=f"C{customers + 1 + int(rng.integers(1000))}"),
        "unknown_product": set_item("product_id", lambda _: f"P{len(PRODUCTS) + 1 + int(rng.integers(100)):0{width}d}"),
        "missing_basket": lambda r: r.pop("basket"),
        "basket_not_list": lambda r: r.update(basket=r["basket"][0]),
        "empty_basket": lambda r: r.update(basket=[]),
        "missing_product_id": set_item("product_id", delete=True),
        "price_missing": set_item("price", delete=True),
        "price_zero": set_item("price", 0),
        "price_negative": set_item("price", lambda item: -item["price"]),
        "price_non_integer": set_item("price", lambda item: item["price"] + 0.5),
        "price_string": set_item("price", lambda item: str(item["price"])),
        "date_missing": lambda r: r.pop("date_of_purchase"),
        "date_unparseable": lambda r: r.update(
            date_of_purchase=UNPARSEABLE_DATES[int(rng.integers(len(UNPARSEABLE_DATES)))]
        ),
        "date_out_of_window": shift_date,
    }
    if kind == "malformed_json":
        return _malformed(line, rng)
    return _edit(line, edits[kind])


def inject(
    content: bytes, rng: np.random.Generator, rate: float, customers: int, day: date
) -> tuple[bytes, list[tuple[int, str]], list[int]]:
    """Return (new content, [(1-based line, kind)], 0-based indices of good lines replaced)."""
    lines = content.split(b"\n")[:-1]
    n = len(lines)
    count = int(rng.binomial(n, rate)) if n else 0
    if count == 0:
        return content, [], []
    kinds = [_KINDS[i] for i in rng.integers(len(_KINDS), size=count)]
    truncate = "truncated_last_line" in kinds
    others = [k for k in kinds if k != "truncated_last_line"]
    candidates = n - 1 if truncate else n  # the cut last line must stay last
    others = others[:candidates]
    plan = dict(zip(rng.choice(candidates, size=len(others), replace=False).tolist(), others, strict=True))

    out: list[bytes] = []
    injected: list[tuple[int, str]] = []
    replaced: list[int] = []
    for i, line in enumerate(lines):
        kind = plan.get(i)
        if truncate and i == n - 1:
            kind = "truncated_last_line"
            line = line[: int(rng.integers(1, len(line) - 1))]
        elif kind == "duplicate_line":
            out.append(line)
        elif kind is not None:
            line = _bad_line(kind, line, rng, customers, day)
        out.append(line)
        if kind is not None:
            injected.append((len(out), kind))
            if kind != "duplicate_line":
                replaced.append(i)
    tail = b"" if truncate else b"\n"
    return b"\n".join(out) + tail, injected, replaced


# --- manifests -------------------------------------------------------------------------


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)  # readers never see a half-written manifest


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def update_manifest(out_dir: Path, name: str, files: dict[str, dict | None], faults: list[dict]) -> None:
    """Make manifest `name` describe `files` as just written.

    `files` maps each path just written to its {"lines", "good_lines"} totals,
    or to None when it was written clean (its old entries are dropped).
    Entries of other files are kept: an earlier run wrote them and they still
    describe what is on disk. An empty manifest is removed.
    """
    path = Path(out_dir) / FAULTS_DIR / name
    old = _read_json(path) or {"files": {}, "faults": []}
    kept = {f: v for f, v in old["files"].items() if f not in files}
    new_files = {**kept, **{f: v for f, v in files.items() if v}}
    new_faults = [e for e in old["faults"] if e["file"] not in files] + faults
    if new_files:
        _write_json(
            path,
            {
                "files": dict(sorted(new_files.items())),
                "faults": sorted(new_faults, key=lambda e: (e["file"], e["line"])),
            },
        )
    elif path.exists():
        path.unlink()


def _manifests(out_dir: Path) -> list[dict[str, Any]]:
    folder = Path(out_dir) / FAULTS_DIR
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def load_fault_manifest(out_dir: Path | str) -> list[dict[str, Any]]:
    """Every injected fault under out_dir: [{"file", "line", "kind"}], sorted by file and line."""
    entries = [e for m in _manifests(Path(out_dir)) for e in m["faults"]]
    return sorted(entries, key=lambda e: (e["file"], e["line"]))


def rebuild_merged_manifest(out_dir: Path) -> None:
    """Write faults_manifest.json from the per-month files (or remove it if there are no faults)."""
    manifests = _manifests(Path(out_dir))
    path = Path(out_dir) / MERGED_MANIFEST
    if not manifests:
        if path.exists():
            path.unlink()
        return
    files = {f: v for m in manifests for f, v in m["files"].items()}
    faults = load_fault_manifest(out_dir)
    by_kind: dict[str, int] = {}
    for e in faults:
        by_kind[e["kind"]] = by_kind.get(e["kind"], 0) + 1
    totals = {
        "files": len(files),
        "injected": len(faults),
        "lines": sum(v["lines"] for v in files.values()),
        "good_lines": sum(v["good_lines"] for v in files.values()),
        "by_kind": dict(sorted(by_kind.items())),
    }
    _write_json(path, {"totals": totals, "files": dict(sorted(files.items())), "faults": faults})
