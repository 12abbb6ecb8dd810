"""Statistical checks of the pure-exploration machinery at scale (slow: `make test-slow`).

Unconstrained limit (issue: LATS/LAGEX §5): a constraint that binds nowhere (sum_k pi_k <= 2) leaves the
vertices at the pure arms, so CTnS (known constraints) is Track-and-Stop for best-arm identification:
* with the GK16 threshold its error rate over >= 2000 seeds is <= delta;
* E[tau] / ln(1/delta) approaches the characteristic time T* (Garivier & Kaufmann 2016) as delta -> 0.
"""
import jax
import numpy as np
import pytest

from bandits.core import RunConfig, run_until_stopped
from bandits.core.types import interact
from bandits.exploration import characteristic_time
from bandits.exploration import environments as E
from bandits.exploration.ctns import ctns
from bandits.exploration.machinery import Config

pytestmark = pytest.mark.slow

MU = [1.0, 0.5, 0.2]  # BAI, unit-variance Gaussian arms
A, B = [[1.0, 1.0, 1.0]], [2.0]  # sum_k pi_k <= 2: binds nowhere on the simplex


def _run(delta, seeds, threshold, cap=20_000):
    with jax.enable_x64(True):
        prob = E.from_arrays("bai", MU, [1.0] * 3, A, B, delta).with_known_constraints()
        pol = ctns(Config(threshold=threshold, every=4), stages=6, newton_steps=8)
        sim = interact(pol, E.exploration_env(), prob.known, prob.params)
        res = run_until_stopped(sim, range(seeds), RunConfig(horizon=cap, chunk=64, batch_size=1000,
                                                              progress=False))
    assert res.stopped.all(), "a seed hit the cap"
    return res


def test_unconstrained_characteristic_time_is_bai():
    T, w = characteristic_time(np.array(MU), np.array(A), np.array(B))
    assert np.argmax(w) in (0, 1) and abs(np.sum(w) - 1) < 1e-9
    T2, _ = characteristic_time(np.array([1.0, 0.5]), np.array([[1.0, 1.0]]), np.array([2.0]))
    assert T2 == pytest.approx(8.0 / 0.5**2, rel=1e-3)  # two arms: 8 sigma^2 / Delta^2


def test_gk16_error_rate_at_most_delta():
    delta = 0.1
    res = _run(delta, 2000, "gk16")
    err = 1.0 - float(np.mean(res.metrics["correct"]))
    assert err <= delta, err


def test_tas_stopping_time_approaches_characteristic_time():
    T_star, _ = characteristic_time(np.array(MU), np.array(A), np.array(B))
    ratios = []
    for delta in (1e-2, 1e-4, 1e-8):
        res = _run(delta, 300, "gk16")
        ratios.append(float(np.mean(res.stopping_time)) / np.log(1 / delta) / T_star)
    assert ratios[0] > ratios[1] > ratios[2] > 1.0 - 0.05, ratios  # from above, towards 1
    assert ratios[2] < 1.6, ratios
