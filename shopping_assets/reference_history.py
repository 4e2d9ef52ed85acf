"""Type-2 history of a reference table: what each load of customers.csv or products.csv changed.

A load compares the file's valid rows (STAGING.CUSTOMERS or STAGING.PRODUCTS, the typed views
today's views read) with the current versions in STAGING.<TABLE>_HISTORY and, in one
transaction under the load lock, closes the versions the file no longer holds as they are (a
changed row, or a soft delete: the id is missing), opens one for every new, changed or
returning row, and records the load in STAGING.REFERENCE_LOADS. A crash anywhere leaves the
old history or the new, whole; a reload of an unchanged file changes no version. Only
current versions (and those the load closes) are read, so a load costs the same however
long the history is.

A load is dated (AS_OF, which becomes VALID_FROM and VALID_TO): the current file by the
warehouse's clock when the load takes the lock, a dated snapshot by its day
(`reference_snapshots`). A snapshot is judged by the current file's own rules: inside the
transaction it stands in RAW in the current file's place, which is put back before the
commit, so no other session sees it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shopping_assets import tables
from shopping_assets.defs.reference.assets import CUSTOMERS, PRODUCTS, ReferenceTable
from shopping_assets.reference_snapshots import Snapshot


class HistoryMovedOn(RuntimeError):
    """Another run recorded a later load after this run planned its own: the step's retry plans again."""


@dataclass(frozen=True)
class History:
    ref: ReferenceTable
    table: tables.Table

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def asset(self) -> str:
        return f"{self.ref.name}_history"

    @property
    def identifiers(self) -> dict[str, str]:
        """The names its SQL files take: the reference table's, and {history}."""
        return {**self.ref.identifiers, "history": self.table.name}


CUSTOMERS_HISTORY = History(CUSTOMERS, tables.CUSTOMERS_HISTORY)
PRODUCTS_HISTORY = History(PRODUCTS, tables.PRODUCTS_HISTORY)
HISTORIES = (CUSTOMERS_HISTORY, PRODUCTS_HISTORY)


@dataclass(frozen=True)
class Recorded:
    """One load: what it described and what it changed."""

    as_of: datetime
    dated: bool
    source_file: str
    valid_rows: int
    opened: int
    closed: int
    current: int
    rejected: dict[str, int] = field(default_factory=dict)  # a snapshot's rows left out, by reason


def latest(session, history: History) -> datetime | None:
    ((as_of,),) = session.rows("staging/reference_history_latest", source=history.name)
    return as_of


def dated_loads(session, history: History) -> dict[datetime, str]:
    """The dated snapshots loaded so far: their day's start -> their latest load's digest."""
    return dict(session.rows("staging/reference_history_dated_loads", source=history.name))


def record_current(session, history: History, source_file: str) -> Recorded:
    """The current file (in RAW already), as of the warehouse's clock."""
    return _record(session, history, source_file, None)


def record_snapshot(session, history: History, snapshot: Snapshot, source_file: str) -> Recorded:
    """A dated snapshot, staged in the bucket at `source_file` (prefix included), as of its day."""
    names = history.identifiers
    # DDL commits in Snowflake: the session's landing and keeping tables come before the transaction
    session.run("raw/reference_stage", names)
    session.run("raw/reference_copy", names, files=[snapshot.key])
    session.run("raw/reference_snapshot_keep", names)
    return _record(session, history, source_file, snapshot)


def _record(session, history: History, source_file: str, snapshot: Snapshot | None) -> Recorded:
    names = history.identifiers
    rejected: dict[str, int] = {}
    with session.transaction():
        as_of = snapshot.as_of if snapshot else session.rows("staging/reference_history_clock")[0][0]
        newest = latest(session, history)
        # strictly after: a version opened and closed at one instant would never have held
        if newest is not None and as_of <= newest:
            raise HistoryMovedOn(
                f"{history.table.name}: another run recorded a load as of {newest} since this one planned its load "
                f"as of {as_of}; this step's retry plans again"
            )
        if snapshot:
            session.run("raw/reference_snapshot_swap", names, source_file=source_file)
            rejected = {reason: int(n) for reason, n in session.rows("staging/reference_snapshot_reasons", names)}
        session.run("staging/reference_history_close", names, as_of=as_of)
        session.run("staging/reference_history_open", names, as_of=as_of, source_file=source_file)
        counts = session.rows("staging/reference_history_changes", names, as_of=as_of)[0]
        opened, closed, current, valid_rows = (int(n) for n in counts)
        session.run(
            "staging/reference_history_log",
            source=history.name,
            as_of=as_of,
            dated=snapshot is not None,
            source_file=source_file,
            digest=snapshot.digest if snapshot else None,
            valid_rows=valid_rows,
            opened=opened,
            closed=closed,
        )
        if snapshot:
            session.run("raw/reference_snapshot_restore", names)
    return Recorded(as_of, snapshot is not None, source_file, valid_rows, opened, closed, current, rejected)
