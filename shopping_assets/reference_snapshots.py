"""Dated reference snapshots: which of the input folder's `reference/d=YYYY-MM-DD/` files a run loads.

A snapshot is a reference file as it was on its day, for backfilling history: its versions
take effect at that day's start (the current file's, at its load time). History only moves
forward, so a run loads, in date order, the snapshots dated after the history's latest load,
skips those already loaded as they are, and refuses, before loading anything, a snapshot
that would rewrite the past: dated before the latest load, changed since it was loaded, or
dated after today (the current file, recorded after the snapshots, is dated by its load).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from shopping_assets.errors import InputLayoutError

# Where snapshots land in the bucket. Not d=YYYY-MM-DD: a key=value folder makes the
# emulator's DuckDB read a partition column that COPY then refuses (STACK_NOTES).
BUCKET_FOLDER = "reference/snapshots/"
HOW_TO_REBUILD = "history only moves forward; to rebuild it from the snapshots, see docs/reference-history.md"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    day: date
    path: Path
    digest: str

    @property
    def as_of(self) -> datetime:
        """The moment its versions take effect: the start of its day."""
        return datetime(self.day.year, self.day.month, self.day.day)

    @property
    def key(self) -> str:
        """Its object's key in the bucket, relative to the stage."""
        return f"{BUCKET_FOLDER}{self.day.isoformat()}/{self.path.name}"


@dataclass(frozen=True)
class Plan:
    pending: list[Snapshot]  # to load, oldest first
    skipped: int  # already loaded as they are


def plan(files: Mapping[date, Path], loaded: Mapping[datetime, str], latest: datetime | None, today: date) -> Plan:
    """What to load of `files` (day -> path), given the dated loads so far (their day's start ->
    digest) and the latest load's AS_OF; raises InputLayoutError naming the first snapshot refused."""
    pending, skipped = [], 0
    for day in sorted(files):
        snapshot = Snapshot(day, files[day], digest(files[day]))
        if day > today:
            raise InputLayoutError(f"{snapshot.path} is dated {day}, after today ({today}): snapshots are of past days")
        if snapshot.as_of in loaded:
            if loaded[snapshot.as_of] == snapshot.digest:
                skipped += 1
                continue
            raise InputLayoutError(
                f"{snapshot.path} changed since it was loaded, and later loads (the latest as of {latest}) "
                f"build on it: {HOW_TO_REBUILD}"
            )
        if latest is not None and snapshot.as_of <= latest:
            raise InputLayoutError(
                f"{snapshot.path} is dated {day}, before the history's latest load (as of {latest}): {HOW_TO_REBUILD}"
            )
        pending.append(snapshot)
    return Plan(pending, skipped)
