"""A small soak: every kind of fault, one after another, and the view still exact.

The full one (`make soak`: 24 months, three rounds of random faults) takes minutes;
this runs every kind of fault once over three months.
"""

import pytest

from harness.soak import soak


@pytest.mark.services  # the soak starts services of its own
def test_reloads_under_every_kind_of_fault_leave_the_view_exact(system_tmp):
    tally = soak(months=3, rounds=1, seed=3, customers=30, kinds=("crash", "s3", "warehouse"), say=lambda _: None)

    assert tally["faults: crash"] == tally["faults: s3"] == tally["faults: warehouse"] == 1
    assert tally["crashes"] == 1  # the forked run really died at its point
    assert tally["injected: s3 503"] + tally["injected: s3 reset"] > 0
    assert tally["injected: warehouse 503"] + tally["injected: warehouse reset"] > 0
    assert tally["final mismatches"] == 0 and tally["view rows"] > 0
    assert tally["raw lines missing"] == tally["raw duplicate lines"] == tally["staging duplicate basket lines"] == 0
    assert sorted(path.name for path in system_tmp.iterdir()) == []  # the killed runs' folders included
