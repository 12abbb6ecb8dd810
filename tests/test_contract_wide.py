"""Same seed, same bits: beside any neighbours, on repeat and whatever the batch width (the core's promise, checked
for every registered algorithm of every paper; the oracle side of the contract is in ``test_contract.py``).

* every algorithm (default run): 40 seeds in batches of 16 (stopping mode: 16 slots refilled as seeds stop), seed 3
  alone (padded to 16 with copies of itself) and a repeat; every metric a finite scalar per seed. One width, one
  compile.
* the width (default run: each paper's reference algorithm, and CTnS; every algorithm with ``make test-slow``):
  1000 seeds in one batch (width 1008; stopping mode without refilling, so the batch never narrows) against the
  same seeds in batches of 16. A second compile per algorithm, which is why the others wait for the slow run:
  the width bugs found so far came from XLA flags and padding, shared by every algorithm.

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

from bandits.core import RunConfig, log_grid, run_fixed_horizon, run_until_stopped
from bandits.core.experiment import build_simulation
from test_contract import CASES, PAPERS, _example

IDS = [f"{p}:{a}" for p, a in CASES]
# CTnS: the algorithm whose stopping times moved with the width before the fix
WIDE_BY_DEFAULT = {(p, PAPERS.get(p).reference) for p in PAPERS.names()} | {("lats", "ctns")}
WIDE_CASES = [pytest.param(p, a, marks=() if (p, a) in WIDE_BY_DEFAULT else pytest.mark.slow) for p, a in CASES]


def _run(paper, sim, seeds, batch_size, refill=True):
    """Fixed-horizon papers: 100 rounds in chunks of 64 (a ragged last chunk); stopping-time papers: a cap of one
    chunk, enough to exercise refilling, stops and censoring."""
    horizon = 100 if paper.mode == "fixed" else 64
    cfg = RunConfig(horizon=horizon, chunk=64, batch_size=batch_size, progress=False, refill=refill)
    if paper.mode == "stopping":
        res = run_until_stopped(sim, seeds, cfg)
        return {"tau": res.stopping_time, **res.metrics}
    return run_fixed_horizon(sim, seeds, cfg, log_grid(horizon, 6)).metrics


def _simulation(paper_name, algorithm):
    paper, problem, hps = _example(paper_name)
    return paper, build_simulation(paper, algorithm, problem, hps.get(algorithm, {}))


@pytest.mark.parametrize("paper_name,algorithm", CASES, ids=IDS)
def test_seed_alone_equals_seed_in_a_batch_and_repeats(paper_name, algorithm):
    paper, sim = _simulation(paper_name, algorithm)
    batched = _run(paper, sim, range(40), batch_size=16)
    alone = _run(paper, sim, [3], batch_size=16)
    again = _run(paper, sim, range(40), batch_size=16)
    assert batched, "no metrics"
    for k, v in batched.items():
        v = np.asarray(v)
        assert v.shape[0] == 40 and np.all(np.isfinite(v)), k
        np.testing.assert_array_equal(v[3], np.asarray(alone[k])[0], err_msg=k)
        np.testing.assert_array_equal(v, again[k], err_msg=k)


@pytest.mark.parametrize("paper_name,algorithm", WIDE_CASES, ids=IDS)
def test_same_bits_at_every_width(paper_name, algorithm):
    paper, sim = _simulation(paper_name, algorithm)
    wide = _run(paper, sim, range(1000), batch_size=1000, refill=False)
    narrow = _run(paper, sim, range(1000), batch_size=16)
    for k, v in wide.items():
        v = np.asarray(v)
        assert v.shape[0] == 1000 and np.all(np.isfinite(v)), k
        np.testing.assert_array_equal(v, narrow[k], err_msg=k)
