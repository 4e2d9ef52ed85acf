"""The code location's imports, made with the garbage collector paused, then frozen.

Importing Dagster, dagster_snowflake (with snowflake.core and Snowpark) and dagster_aws
allocates millions of objects that live as long as the process. The collector's passes
over them were about a third of the import's CPU, and every later full pass walked them
again: paid by each process that loads the code location (the CLI, each code server and
run worker, dg). Frozen, they are left out of every pass (`gc.freeze`); the little cyclic
garbage the imports leave is kept, not collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_imports() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
