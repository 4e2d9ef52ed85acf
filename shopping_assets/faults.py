"""Named points where a test (or the soak) can make the process die or stall, as a crash would.

`SHOPPING_FAULT_POINT=<point>` kills this process with SIGKILL when it reaches
<point>: no cleanup, no rollback, no closed sessions, exactly what an OOM kill or a
lost machine does. `<point>=sleep:<seconds>` stalls there instead (a slow
statement), and `<point>=until:<unix time>` waits there for that moment, so that
two processes pass the point together. Unset (always, outside tests), a
checkpoint is one dictionary lookup.

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
    elif action.startswith("until:"):
        time.sleep(max(0.0, float(action[len("until:") :]) - time.time()))
    else:
        os.kill(os.getpid(), signal.SIGKILL)
