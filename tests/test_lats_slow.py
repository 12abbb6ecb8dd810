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


# ----------------------------------------------------------------------------- sound stopping rules (spec section 11)
def _uniform_under(env, rule, threshold, cap, seeds=500):
    """Uniform sampling under one stopping rule on one environment, through the preset lats/stopping_rules."""
    from bandits.core.experiment import run_experiment
    from experiments.run import plan_preset

    overrides = [f"experiment.env=[{env}]", "experiment.algorithms=[uniform]", f"experiment.stopping={rule}",
                 f"experiment.stopping_threshold={threshold or 'null'}", f"experiment.seeds={seeds}",
                 f"experiment.horizon={cap}", "runner.progress=false"]
    with jax.enable_x64(True):
        _, _, _, plan = plan_preset("lats/stopping_rules", overrides, warn=lambda msg: None)
        runs, _, _ = run_experiment(plan, log=lambda msg: None)
    return runs


@pytest.mark.parametrize("env,rule,threshold,cap,min_stopped", [
    ("setup2-hard", "pessimistic_optimistic", None, 100_000, 450),
    ("setup2-easy", "pessimistic_optimistic", None, 100_000, 450),
    ("setup2-hard", "joint_glr", "joint", 1_000_000, 250),
    ("setup2-easy", "joint_glr", "joint", 100_000, 0),  # degenerate pi*: a delta-correct rule does not stop
])
def test_sound_rules_are_delta_correct(env, rule, threshold, cap, min_stopped):
    """The issue's check: the upper end of the Wilson 95 % interval of the error rate on the rule's target, over
    the seeds that stopped out of 500, is <= delta (0.1 on setup 2). joint_glr's valid threshold is ~200 nats at
    these counts: on setup 2 hard it needs a cap of 10^6 to stop (its unknown-A bound T kl is 2,768 with the
    optimal allocation); on setup 2 easy, degenerate, it must not stop wrongly (it should not stop at all)."""
    from bandits.core.stats import wilson_ci
    from bandits.exploration.stopping import RULES

    runs = _uniform_under(env, rule, threshold, cap)
    delta = float(runs["delta"].iloc[0])
    stopped = runs[~runs["censored"].astype(bool)]
    errors = int((stopped[RULES[rule].target] < 0.5).sum())
    assert len(stopped) >= min_stopped, len(stopped)
    if len(stopped):
        _, _, high = wilson_ci(errors, len(stopped))
        assert high <= delta, (errors, len(stopped), high)
