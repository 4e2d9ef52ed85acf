"""A small soak: every kind of fault, one after another, and the view still exact.

The full one (`make soak`: 24 months, three rounds of random faults) takes minutes;
this runs every kind of fault at least once over three months.
"""

from harness.soak import soak


def test_reloads_under_every_kind_of_fault_leave_the_view_exact(system_tmp):
    tally = soak(months=3, rounds=2, seed=3, customers=30, kinds=("crash", "s3", "warehouse"), say=lambda _: None)

    assert tally["faults: crash"] == tally["faults: s3"] == tally["faults: warehouse"] == 2
    assert tally["crashes"] == 2  # both forked runs really died at their point
    assert tally["injected: s3 503"] + tally["injected: s3 reset"] > 0
    assert tally["injected: warehouse 503"] + tally["injected: warehouse reset"] > 0
    assert tally["final mismatches"] == 0 and tally["view rows"] > 0
    assert tally["raw lines missing"] == tally["raw duplicate lines"] == tally["staging duplicate basket lines"] == 0
    assert sorted(path.name for path in system_tmp.iterdir()) == []  # the killed runs' folders included
