"""What a stage costs: wall time, peak memory of each process, time per SQL statement and per step."""

from __future__ import annotations

import os
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

MB = 1e6


def status_kib(pid: int | str, field_name: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def reset_peak(pid: int | str) -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Memory:
    """Peak resident memory of this process and the embedded servers, per stage."""

    def __init__(self, pids: dict[str, int | None]):
        self.pids = {"pipeline": os.getpid(), **pids}
        self.resettable = True

    def reset(self) -> None:
        for pid in self.pids.values():
            if pid is not None:
                self.resettable &= reset_peak(pid)

    def peaks_mib(self) -> dict[str, float | None]:
        peaks = {}
        for name, pid in self.pids.items():
            kib = status_kib(pid, "VmHWM") if pid is not None else None
            peaks[name] = round(kib / 1024, 1) if kib is not None else None
        return peaks


class StatementTimer:
    """Wall time of every statement the pipeline sends, by SQL file and statement head.

    Patches the Snowflake connector's cursor (and the project's Session.run, to know
    which sql/ file a statement came from) for the duration of the benchmark.
    """

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        self._local = threading.local()
        self._undo: list[Callable[[], None]] = []

    @staticmethod
    def head(statement: str) -> str:
        return " ".join(line.strip() for line in str(statement).splitlines() if line.strip())[:90]

    def install(self) -> None:
        import snowflake.connector
        from snowflake.connector.cursor import SnowflakeCursor

        from shopping_assets.resources.warehouse import Session

        timer = self
        execute, run, connect = SnowflakeCursor.execute, Session.run, snowflake.connector.connect

        def timed_execute(cursor, command, *args, **kwargs):
            started = time.perf_counter()
            try:
                return execute(cursor, command, *args, **kwargs)
            finally:
                source = getattr(timer._local, "file", None) or "query"
                timer.add(f"{source}: {timer.head(command)}", time.perf_counter() - started)

        def timed_run(session, name, *args, **kwargs):
            timer._local.file = f"sql/{name}"
            try:
                return run(session, name, *args, **kwargs)
            finally:
                timer._local.file = None

        def timed_connect(*args, **kwargs):
            started = time.perf_counter()
            try:
                return connect(*args, **kwargs)
            finally:
                timer.add("connect", time.perf_counter() - started)

        SnowflakeCursor.execute, Session.run, snowflake.connector.connect = timed_execute, timed_run, timed_connect
        self._undo.append(lambda: setattr(SnowflakeCursor, "execute", execute))
        self._undo.append(lambda: setattr(Session, "run", run))
        self._undo.append(lambda: setattr(snowflake.connector, "connect", connect))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def add(self, key: str, seconds: float) -> None:
        entry = self.totals[key]
        entry[0] += seconds
        entry[1] += 1

    def take(self) -> dict[str, list[float]]:
        """What was recorded since the last take, and start afresh."""
        taken, self.totals = dict(self.totals), defaultdict(lambda: [0.0, 0])
        return taken

    def ranked(self, most: int = 12) -> list[tuple[str, float, int]]:
        """(statement, seconds, count) since the last take, slowest first; starts afresh."""
        taken = self.take()
        return sorted(((k, round(v[0], 3), int(v[1])) for k, v in taken.items()), key=lambda s: -s[1])[:most]


class StepClock:
    """Seconds spent in each Dagster step (asset), over every run it was told about."""

    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])

    def record(self, instance, run_id: str) -> None:
        for stats in instance.get_run_step_stats(run_id):
            if stats.start_time and stats.end_time:
                self.steps[stats.step_key][0] += stats.end_time - stats.start_time
                self.steps[stats.step_key][1] += 1

    def take(self) -> dict[str, list[float]]:
        taken = {k: [round(v[0], 3), int(v[1])] for k, v in self.steps.items()}
        self.steps.clear()
        return dict(sorted(taken.items(), key=lambda item: -item[1][0]))


@dataclass
class StageResult:
    name: str
    seconds: float
    rows: int
    row_unit: str
    bytes: int
    byte_unit: str
    peak_mib: dict[str, float | None]
    runs: int = 0
    sql_seconds: float = 0.0
    # (file: statement head, total seconds, count), slowest first
    statements: list[tuple[str, float, int]] = field(default_factory=list)
    # Dagster step (asset) -> [seconds, runs]
    steps: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / MB / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {**asdict(self), "rows_per_s": round(self.rows_per_s, 1), "mb_per_s": round(self.mb_per_s, 2)}


@dataclass
class Meters:
    memory: Memory
    timer: StatementTimer
    clock: StepClock

    def stage(self, name: str, body: Callable[[], dict], sql: bool = True) -> StageResult:
        """Run `body` (returning rows, row_unit, bytes, byte_unit, runs) and measure it."""
        self.timer.take()
        self.clock.take()
        self.memory.reset()
        started = time.perf_counter()
        figures = body()
        seconds = time.perf_counter() - started
        peaks = self.memory.peaks_mib()
        if "workers" in figures:  # generation: the worker processes did the work; the largest one's peak
            peaks["pipeline"] = max(peaks["pipeline"] or 0.0, figures.pop("workers"))
        statements = self.timer.take() if sql else {}
        ranked = sorted(((k, round(v[0], 3), int(v[1])) for k, v in statements.items()), key=lambda s: -s[1])
        return StageResult(
            name=name,
            seconds=round(seconds, 3),
            peak_mib=peaks,
            sql_seconds=round(sum(v[0] for k, v in statements.items() if k != "connect"), 3),
            statements=ranked[:12],
            steps=self.clock.take(),
            **figures,
        )
