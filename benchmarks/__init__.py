"""Benchmarks of the whole chain on a private embedded deployment; they print figures, never assert them.

    python -m benchmarks [--customers N] [--months M] [--end YYYY-MM-DD] [--keep] [--json FILE]
    python -m benchmarks --incremental [--months 24] [--customers N] [--repeat 3]
    python -m benchmarks.generator [--customers N --months M]

Stage mode (the default, `stages.py`) generates data (about 2,000,000 transactions over 6
months by default), then runs and times each stage of the chain on its own, as
in-process Dagster runs of the project's own code location plus one job per stage:
generation, inputs, upload, load, flatten, view (the views, then the all-time view
queried once), audits (outside the ratios) and export. For each: wall seconds, rows/s,
MB/s and the peak memory of this process, the emulator and the S3 server. Then the
floor (`floor.py`): plain DuckDB doing the whole job on the same files in a fresh
process, bare and with the per-line accounting the pipeline owes its users; both must
count what the view counts.

Incremental mode (`incremental.py`) times a weekly run (weekly_job for the last month,
what the schedule launches) with M months loaded against the same with that month
alone; the ratio is the cost of history.
"""
