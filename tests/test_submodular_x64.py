"""runner.x64=true gives a float64 run of the submodular paper end to end (learners, instances, metrics); the
float32 default stays float32 (its metrics are compensated sums). The random draws depend on the dtype, so the
two runs are different samples, not the same run in two precisions."""
import jax
import numpy as np
import pytest

from bandits.core import RunConfig, log_grid, run_fixed_horizon
from bandits.core.experiment import build_simulation
from bandits.submodular.paper import PAPER, example, example_usm

T = 300


def _run(make, algo, x64):
    with jax.enable_x64(x64):
        problem, hps = make()
        sim = build_simulation(PAPER, algo, problem, hps.get(algo, {}))
        floats = [x.dtype for x in jax.tree.leaves(jax.eval_shape(sim.init, jax.random.PRNGKey(0)))
                  if np.issubdtype(x.dtype, np.floating)]
        res = run_fixed_horizon(sim, range(4), RunConfig(horizon=T, chunk=100, progress=False), log_grid(T, 4))
    return floats, {k: np.asarray(v) for k, v in res.metrics.items()}


@pytest.mark.parametrize("make,algo", [(example, "ocg"), (example_usm, "odg")])
def test_x64_run_is_float64_and_agrees_with_float32(make, algo):
    f64, m64 = _run(make, algo, True)
    f32, m32 = _run(make, algo, False)
    assert f64 and all(d == np.float64 for d in f64), f64
    assert all(d == np.float32 for d in f32), f32
    assert m64["collected_value"].dtype == np.float64
    for m, tol in ((m64, 1e-12), (m32, 1e-4)):
        assert all(np.all(np.isfinite(v)) for v in m.values())
        identity = m["regret_vs_best_found"] - (m["comparator_value"] - m["collected_value"])
        assert np.max(np.abs(identity)) <= tol * max(1.0, np.max(np.abs(m["comparator_value"])))
