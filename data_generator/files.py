"""File writing shared by the reference tables and the day files."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, data: bytes | memoryview) -> int:
    """Write via a temp file and rename, so a concurrent reader (a sensor, a loader)
    never sees a half-written file. The temp name does not end in .json/.csv."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return len(data)
