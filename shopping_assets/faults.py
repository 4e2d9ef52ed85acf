"""Named points where a test (or the soak) can make the process die or stall, as a crash would.

`SHOPPING_FAULT_POINT=<point>` kills this process with SIGKILL when it reaches
<point>: no cleanup, no rollback, no closed sessions, exactly what an OOM kill or a
lost machine does. `<point>=sleep:<seconds>` stalls there instead (a slow
statement), and `<point>=barrier:<N>:<folder>` waits there until N processes have
reached it (each leaves a file in <folder>), so that they pass the point together.
Unset (always, outside tests), a checkpoint is one dictionary lookup.

The points:
- `upload:N`         after the N-th object of an upload to the bucket
- `<sql file>:N`     after the N-th statement of `sql/<sql file>.sql`, e.g.
                     `raw/transaction_lines_copy:1` (after the COPY),
                     `raw/transaction_lines_replace:1` (after the DELETE, before the INSERT),
                     `raw/take_load_lock:1` (holding the load lock)
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

VARIABLE = "SHOPPING_FAULT_POINT"


def checkpoint(point: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    target, _, action = wanted.partition("=")
    if target != point:
        return
    if action.startswith("sleep:"):
        time.sleep(float(action[len("sleep:") :]))
    elif action.startswith("barrier:"):
        _barrier(*action[len("barrier:") :].split(":", 1))
    else:
        os.kill(os.getpid(), signal.SIGKILL)


def _barrier(count: str, folder: str, timeout: float = 300.0) -> None:
    """Arrive, then wait for `count` arrivals in all (or give up after `timeout` seconds)."""
    arrivals = Path(folder)
    arrivals.mkdir(parents=True, exist_ok=True)
    (arrivals / str(os.getpid())).touch()
    deadline = time.monotonic() + timeout
    while len(list(arrivals.iterdir())) < int(count) and time.monotonic() < deadline:
        time.sleep(0.05)
