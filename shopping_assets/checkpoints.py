"""Named points in a load (after an upload, after each statement), where a test harness may act.

The product only announces them; nothing happens unless a harness installed a hook
(the crash tests' and the soak's `harness.crash_points` does, to kill the process
exactly there). The names: `upload:N` after the N-th object of an upload, and
`<sql file>:N` after the N-th statement of `sql/<sql file>.sql`.
"""

from __future__ import annotations

from collections.abc import Callable

_hooks: list[Callable[[str], None]] = []


def install(hook: Callable[[str], None]) -> None:
    _hooks.append(hook)


def uninstall(hook: Callable[[str], None]) -> None:
    _hooks.remove(hook)


def reached(point: str) -> None:
    for hook in _hooks:
        hook(point)
