"""Appendix I environments (spec section 8), the IMDB data file, and the reward + cost observation model."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.exploration import environments as E
from bandits.exploration.machinery import Answer


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def test_table():
    p = E.make_problem("setup1-hard")
    np.testing.assert_allclose(np.asarray(p.params.mu), [1.5, 1.0, 0.5, 0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(np.asarray(p.params.A), [[1, 1, 0, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0, 0]])
    np.testing.assert_allclose(np.asarray(p.params.pi_star), [0.5, 0, 0.5, 0, 0, 0, 0], atol=1e-12)
    assert float(p.known.delta) == 0.01
    assert float(E.make_problem("setup1-easy").params.mu[2]) == 1.3
    printed = E.make_problem("setup1-printed")
    np.testing.assert_allclose(np.asarray(printed.params.A), [[1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 1, 1, 0, 0]])
    s2 = E.make_problem("setup2-easy")
    np.testing.assert_allclose(np.asarray(s2.params.pi_star), [0.5, 0, 0, 0.5, 0], atol=1e-12)
    assert float(s2.known.delta) == 0.1
    np.testing.assert_allclose(np.asarray(E.make_problem("setup2-hard").params.pi_star), [0.5, 0, 0, 0, 0.5], atol=1e-12)
    np.testing.assert_allclose(np.asarray(E.make_problem("figure1").params.pi_star), [0.5, 0, 0.5], atol=1e-12)


def test_imdb():
    with open(E.DATA / "imdb.json") as f:
        data = json.load(f)
    assert "provenance" in data and len(data["movies"]) == 12
    p = E.make_problem("imdb")
    mu = np.asarray(p.params.mu)
    np.testing.assert_allclose(mu * 600, [2203, 1783, 1764, 2112, 1907, 1214, 1673, 1780, 1424, 1519, 1529, 1522])
    np.testing.assert_allclose(np.asarray(p.params.pi_star), data["optimum"], atol=1e-12)
    sd = np.asarray(p.params.sd)
    np.testing.assert_allclose(np.asarray(p.known.sigma), np.full(12, sd.max()))  # algorithms use the max sd
    assert p.known.A is None
    # constraints: action <= .3, drama >= .3, family >= .3 at the optimum
    pi = np.asarray(p.params.pi_star)
    action, drama, family = (np.array([m[g] for m in data["movies"]]) for g in ("action", "drama", "family"))
    assert action @ pi <= 0.3 + 1e-12 and drama @ pi >= 0.3 - 1e-12 and family @ pi >= 0.3 - 1e-12


def test_observation_model_statistics():
    p = E.make_problem("setup2-easy")
    env = E.exploration_env()
    n = 20000
    z = env.sample(jax.random.PRNGKey(0), n, p.params)
    assert z.shape == (n, 3)
    state = env.reset(jax.random.PRNGKey(0), p.params)
    arm = 3

    def step(s, zt):
        s, (r, c) = env.step(zt, s, arm, p.params)
        return s, (r, c)

    state, (r, c) = jax.lax.scan(step, state, z)
    assert int(state.rounds) == n and int(state.pulls[arm]) == n
    r, c = np.asarray(r), np.asarray(c)
    se = 4 / np.sqrt(n)
    assert abs(r.mean() - 0.95) < se and abs(r.std() - 1.0) < 0.03
    np.testing.assert_allclose(c.mean(0), np.asarray(p.params.A)[:, arm], atol=se)  # column of the pulled arm
    np.testing.assert_allclose(c.std(0), 1.0, atol=0.03)
    assert abs(np.corrcoef(r, c[:, 0])[0, 1]) < 0.05


def test_assess():
    p = E.make_problem("setup1-hard")
    env = E.exploration_env()
    pi = np.asarray(p.params.pi_star)
    # pi* = (0.5, 0, 0.5, 0...): rows of G = [-I; A] active there: -pi_2, -pi_4..-pi_7 = 0, and both constraints
    basis = jnp.array([1, 3, 4, 5, 6, 7], jnp.int32)  # K - 1 = 6 rows: pi_2, pi_4, .., pi_7 = 0 and pi1 + pi2 = .5
    shifted = pi + np.array([0.02, 0, -0.02, 0, 0, 0, 0])  # a vertex of an enlarged polytope
    v = {k: float(x) for k, x in env.assess(Answer(jnp.asarray(shifted), basis), p.params).items()}
    # the basis is right, the returned policy itself is infeasible: not deployable (r_good_feasible 0)
    assert v == {"correct": 1.0, "exact": 0.0, "feasible": 0.0, "r_good": 1.0, "r_good_feasible": 0.0}
    v = {k: float(x) for k, x in env.assess(jnp.asarray(pi), p.params).items()}
    assert v["correct"] == v["exact"] == v["feasible"] == v["r_good"] == v["r_good_feasible"] == 1.0
    wrong = np.array([0, 0.5, 0.5, 0, 0, 0, 0.0])
    v = {k: float(x) for k, x in env.assess(jnp.asarray(wrong), p.params).items()}
    assert v["correct"] == 0.0 and v["feasible"] == 1.0 and v["r_good"] == 0.0 and v["r_good_feasible"] == 0.0
    p_eps = E.make_problem("setup1-hard", r=0.6)  # mu^T wrong = 0.75 >= 1.0 - 0.6
    v = env.assess(jnp.asarray(wrong), p_eps.params)
    assert float(v["r_good"]) == float(v["r_good_feasible"]) == 1.0
    slightly_infeasible = np.array([0.5, 0.0, 0.5 + 1e-3, 0, 0, 0, 0.0]) / (1 + 1e-3)
    assert float(env.assess(jnp.asarray(slightly_infeasible), p_eps.params)["r_good_feasible"]) == 0.0
