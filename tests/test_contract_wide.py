"""Same seed, same bits: whatever the batch width, the neighbours and the repeat (the core's promise, checked for
every registered algorithm of every paper; the oracle side of the contract is in ``test_contract.py``).

1000 seeds in one batch (width 1008; stopping mode without refilling, so the batch never narrows) against the same
seeds in batches of 16 (stopping mode: 16 slots refilled as seeds stop), seed 3 alone (padded to 16 with copies of
itself) and a repeat of seeds 0-39: two widths, so two compiles per algorithm. Every metric is a finite scalar per seed.

Before the fix (README, *Same bits at every batch width*) every ATA, M-LCB and submodular algorithm failed the
wide-against-narrow check and CTnS stopped at another round on 233 of 1000 seeds: with 1000 seeds a sum over K >= 5
arms per seed spans >= 4096 elements, where XLA-CPU used a library fusion with another summation order, and a width
that is not a multiple of the vector length left seeds in a loop tail computed without fused multiply-adds (widths
are now padded to multiples of ``runner.LANES``). A file of its own so that pytest-xdist (``--dist loadfile``) runs
it beside the rest of the contract.
"""
from __future__ import annotations

import numpy as np
import pytest

from bandits.core.experiment import build_simulation
from test_contract import CASES, _example, _run


@pytest.mark.parametrize("paper_name,algorithm", CASES, ids=[f"{p}:{a}" for p, a in CASES])
def test_same_bits_at_every_width_beside_any_neighbours_and_on_repeat(paper_name, algorithm):
    paper, problem, hps = _example(paper_name)
    sim = build_simulation(paper, algorithm, problem, hps.get(algorithm, {}))
    wide = _run(paper, sim, range(1000), batch_size=1000, refill=False)  # one batch: no tail to narrow (compile)
    narrow = _run(paper, sim, range(1000), batch_size=16)
    alone = _run(paper, sim, [3], batch_size=16)
    again = _run(paper, sim, range(40), batch_size=16)
    assert wide, "no metrics"
    for k, v in wide.items():
        v = np.asarray(v)
        assert v.shape[0] == 1000 and np.all(np.isfinite(v)), k
        np.testing.assert_array_equal(v, narrow[k], err_msg=k)
        np.testing.assert_array_equal(v[3], np.asarray(alone[k])[0], err_msg=k)
        np.testing.assert_array_equal(v[:40], again[k], err_msg=k)
