"""A crash, a stall or a rendezvous at a named point of a load, as the crash tests and the soak need.

    SHOPPING_FAULT_POINT=<point> python -m harness.crash_points run --input-dir DIR

runs `shopping-pipeline` with a hook on the product's checkpoints (shopping_assets.checkpoints):
it kills the process with SIGKILL when it reaches <point> (no cleanup, no rollback, no
closed sessions: what an OOM kill or a lost machine does). `<point>=sleep:<seconds>`
stalls there instead (a slow statement), and `<point>=barrier:<N>:<folder>` waits there
until N processes have reached it (each leaves a file in <folder>), so that they pass
the point together. Several `<point>=<action>` entries join with `;`. The product itself
never reads SHOPPING_FAULT_POINT.

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
import sys
import time
from pathlib import Path

VARIABLE = "SHOPPING_FAULT_POINT"


def act_at(wanted: str):
    """The hook for SHOPPING_FAULT_POINT's value: one `<point>=<action>`, or several joined by `;`."""
    actions = dict(entry.partition("=")[::2] for entry in wanted.split(";"))

    def hook(point: str) -> None:
        if point in actions:
            act(actions[point])

    return hook


def act(action: str) -> None:
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


def main(argv: list[str] | None = None) -> int:
    from shopping_assets import checkpoints, cli

    wanted = os.environ.get(VARIABLE, "")
    if wanted:
        checkpoints.install(act_at(wanted))
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
