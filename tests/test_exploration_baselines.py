"""The Appendix I baselines: PTnS's projection and BAI allocation, and short runs of every baseline."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import linprog, minimize

from bandits.exploration import environments as E
from bandits.exploration import machinery
from bandits.exploration.cge import cge
from bandits.exploration.ctns import ctns
from bandits.exploration.ptns import bai_allocation, project_polytope, ptns
from bandits.exploration.wlag import cge_wlag, ctns_wlag


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def test_projection_matches_slsqp():
    rng = np.random.default_rng(0)
    proj = jax.jit(lambda y, A, b: project_polytope(y, A, b, 12, 20))
    checked = 0
    for _ in range(14):
        K, d = 5, 2
        A, b = rng.uniform(0, 1, size=(d, K)), rng.uniform(0.3, 0.6, size=d)
        y = rng.dirichlet(np.ones(K) * 0.5)
        w = np.asarray(proj(y, A, b))
        lp = linprog(np.zeros(K), A_ub=A, b_ub=b - 1e-6, A_eq=np.ones((1, K)), b_eq=[1.0], bounds=[(1e-6, None)] * K)
        if lp.status != 0:  # no interior: PTnS plays the BAI allocation unprojected
            np.testing.assert_array_equal(w, y)
            continue
        checked += 1
        cons = [{"type": "eq", "fun": lambda z: z.sum() - 1}, {"type": "ineq", "fun": lambda z: b - A @ z}]
        ref = minimize(lambda z: np.sum((z - y) ** 2), np.full(K, 1 / K), constraints=cons, bounds=[(0, 1)] * K,
                       method="SLSQP", options={"ftol": 1e-15})
        assert abs(w.sum() - 1) < 1e-9 and np.all(A @ w <= b + 1e-9)
        assert np.sum((w - y) ** 2) <= ref.fun + 1e-7
    assert checked >= 5


def test_bai_allocation_two_arms_and_gk():
    w = np.asarray(bai_allocation(jnp.array([1.0, 0.5]), jnp.ones(2), 12, 20))
    np.testing.assert_allclose(w, [0.5, 0.5], atol=1e-6)
    w = np.asarray(bai_allocation(jnp.array([1.0, 0.8, 0.5, 0.4]), jnp.ones(4), 12, 20))
    assert w[1] > w[2] > w[3] and abs(w.sum() - 1) < 1e-9  # closer arms get more samples


TNS = pytest.mark.slow  # the Track-and-Stop variants compile the barrier solver into the scan (~10 s each)


@pytest.mark.parametrize("factory,known_A", [pytest.param(ctns, True, marks=TNS), (cge, True),
                                             pytest.param(ctns_wlag, False, marks=TNS), (cge_wlag, False),
                                             pytest.param(ptns, False, marks=TNS)])
def test_baselines_run(factory, known_A):
    prob = E.make_problem("setup2-easy")
    if known_A:
        prob = prob.with_known_constraints()
    pol = factory() if factory in (cge, cge_wlag) else factory(machinery.Config(every=8), stages=6, newton_steps=8)
    env = E.exploration_env()
    ps, es, tau, done = jax.jit(lambda k: machinery.run_one(pol, env, prob.params, prob.known, k, 400))(
        jax.random.PRNGKey(0))
    w = np.asarray(ps.omega)
    assert abs(w.sum() - 1) < 1e-9 and w.min() >= 0 and int(np.asarray(ps.counts).sum()) == int(tau)
    if known_A:
        assert float(ps.shift) == 0.0  # known constraints: no shift, the true polytope
    else:
        assert float(ps.shift) > 0.0
