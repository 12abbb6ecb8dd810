"""Same bits at every batch width: 1000 seeds in one batch against the same seeds in batches of 40.

A file of its own so that pytest-xdist (``--dist loadfile``) runs it beside the rest of the contract. Before the
fix (README, *Same bits at every batch width*) every ATA, M-LCB and submodular algorithm failed it and CTnS
stopped at another round on 233 of 1000 seeds: with 1000 seeds a sum over K >= 5 arms per seed spans >= 4096
elements, where XLA-CPU used a library fusion with another summation order, and 40 seeds is not a multiple of the
vector length, which left seeds in a loop tail computed without fused multiply-adds.
"""
from __future__ import annotations

import numpy as np
import pytest

from bandits.core.experiment import build_simulation
from test_contract import CASES, _example, _run


@pytest.mark.parametrize("paper_name,algorithm", CASES, ids=[f"{p}:{a}" for p, a in CASES])
def test_same_bits_wide_and_narrow(paper_name, algorithm):
    paper, problem, hps = _example(paper_name)
    sim = build_simulation(paper, algorithm, problem, hps.get(algorithm, {}))
    wide = _run(paper, sim, range(1000), batch_size=1000, horizon=100)
    narrow = _run(paper, sim, range(1000), batch_size=40, horizon=100)
    for k, v in wide.items():
        np.testing.assert_array_equal(v, narrow[k], err_msg=k)
