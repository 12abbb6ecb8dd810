"""One-seed runs of the explorers (rounds scanned with lax.scan) on setup 2 (K = 5, d = 2):
the loop's bookkeeping, warm-up, stopping rule, recommendation, determinism and vmap = unbatched."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.exploration import environments as E
from bandits.exploration import gaussian, machinery, polytope, thresholds
from bandits.exploration.lagex import lagex, weighted_simplex_projection
from bandits.exploration.lats import lats
from bandits.exploration.uniform import uniform

HORIZON = 3000


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def run(policy, prob, seed, horizon=HORIZON):
    env = E.exploration_env()
    f = jax.jit(lambda key: machinery.run_one(policy, env, prob.params, prob.known, key, horizon))
    return f(jax.random.PRNGKey(seed))


def test_weighted_simplex_projection():
    rng = np.random.default_rng(0)
    from scipy.optimize import minimize
    for _ in range(30):
        K = 5
        y, h = rng.normal(size=K), rng.uniform(0.1, 3, size=K)
        x = np.asarray(weighted_simplex_projection(jnp.asarray(y), jnp.asarray(h)))
        assert abs(x.sum() - 1) < 1e-12 and x.min() >= 0
        ref = minimize(lambda z: np.sum(h * (z - y) ** 2), np.full(K, 0.2), method="SLSQP",
                       constraints=[{"type": "eq", "fun": lambda z: z.sum() - 1}], bounds=[(0, None)] * K,
                       options={"ftol": 1e-15})
        assert np.sum(h * (x - y) ** 2) <= np.sum(h * (ref.x - y) ** 2) + 1e-9


@pytest.mark.slow
def test_lats_stops_and_identifies_the_vertex():
    prob = E.make_problem("setup2-easy")
    pol = lats(machinery.Config(every=4), stages=6, newton_steps=8)  # lazy updates keep the test fast
    ps, es, tau, done = run(pol, prob, 0)
    tau = int(tau)
    assert bool(done) and 5 < tau < HORIZON
    counts = np.asarray(ps.counts)
    assert counts.sum() == tau == int(ps.n) == int(es.rounds)
    np.testing.assert_array_equal(np.asarray(es.pulls), counts)
    assert counts.min() >= np.sqrt(tau + 25) - 10  # C-tracking's forced exploration
    # stopping: the GLR at tau beats the threshold (recomputed from the state)
    mu_hat, A_hat = machinery.estimates(ps)
    z = float(ps.z)
    assert z > float(thresholds.threshold("paper", tau, prob.known.delta))
    verts = polytope.vertices(A_hat, prob.known.b, ps.shift)
    alt = polytope.alternatives(ps.pi, verts)
    assert np.isclose(z, float(gaussian.glr(mu_hat, prob.known.sigma**2, ps.pi, verts.points, alt, ps.counts)))
    # recommendation: the LP over F_hat_tau, judged by its basis
    ans = pol.recommend(ps, prob.known)
    lp = polytope.lp_argmax(mu_hat, verts)
    np.testing.assert_allclose(np.asarray(ans.policy), np.asarray(lp.policy), atol=1e-12)
    verdict = E.exploration_env().assess(ans, prob.params)
    assert float(verdict["correct"]) == 1.0 and float(verdict["r_good"]) == 1.0
    # pi_hat sits in the enlarged polytope: off pi* by the shift, which is small by now
    assert 0 < float(ps.shift) < 0.2
    assert np.max(np.abs(np.asarray(ans.policy) - np.asarray(prob.params.pi_star))) < 2 * float(ps.shift)


def test_warm_up_determinism_and_vmap():
    prob = E.make_problem("setup2-hard")
    pol = uniform()
    env = E.exploration_env()
    one = jax.jit(lambda key: machinery.run_one(pol, env, prob.params, prob.known, key, 300))
    keys = jax.random.split(jax.random.PRNGKey(3), 3)
    batched = jax.vmap(one)(keys)
    for i in range(3):
        single = one(keys[i])
        again = one(keys[i])
        for a, b, c in zip(jax.tree_util.tree_leaves(single), jax.tree_util.tree_leaves(again),
                           jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda x: x[i], batched))):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
            np.testing.assert_allclose(np.asarray(a), np.asarray(c), rtol=1e-12, atol=1e-12)
    # warm-up then uniform C-tracking = round robin: after 300 rounds every arm has 60 pulls
    ps = one(keys[0])[0]
    np.testing.assert_array_equal(np.asarray(ps.counts), [60] * 5)


def test_policy_sees_only_the_learner_view():
    prob = E.make_problem("setup2-easy")
    assert prob.known.A is None and not hasattr(prob.known, "mu")
    assert prob.with_known_constraints().known.A is not None


def test_lagex_runs():
    prob = E.make_problem("setup2-easy")
    ps, _, tau, done = run(lagex(), prob, 1, horizon=1000)
    w = np.asarray(ps.omega)
    assert abs(w.sum() - 1) < 1e-9 and w.min() >= 0
    assert np.asarray(ps.counts).sum() == int(ps.n) == int(tau)
    A, b = np.asarray(prob.params.A), np.asarray(prob.params.b)
    flags = machinery.violation_flags(ps, prob.params.A, prob.params.b)
    assert bool(flags["pi_violates"]) == bool(np.any(A @ np.asarray(ps.pi) > b + 1e-9))
    assert bool(flags["omega_violates"]) == bool(np.any(A @ np.asarray(ps.omega) > b + 1e-9))
    assert bool(flags["pi_violates"])  # pi_n is a vertex of the enlarged F_hat: outside F while c_n > 0


def test_lagex_gain_carries_the_multiplier():
    """With an allocation violating F_hat the gain is U - (A_hat^T l - c 1^T l), l = B e_i (spec section 4)."""
    from bandits.exploration import lagex as lagex_mod, lagrange
    mu, sd, A, b, *_ = E._spec("setup2-easy")
    mu_hat, A_hat, c = jnp.asarray(mu), jnp.asarray(A) + 0.05, 0.02
    counts = jnp.array([40, 30, 30, 40, 40], jnp.int32)
    verts = polytope.vertices(A_hat, jnp.asarray(b), c)
    pi = polytope.lp_argmax(mu_hat, verts).policy
    alt = polytope.alternatives(pi, verts)
    ctx = machinery.Context(n=jnp.int32(180), counts=counts, mu_hat=mu_hat, A_hat=A_hat, b_shift=jnp.asarray(b) + c,
                            shift=jnp.asarray(c), sigma2=jnp.ones(5), r=jnp.asarray(0.0), verts=verts, pi=pi, alt=alt)
    omega = jnp.array([0.45, 0.3, 0.05, 0.1, 0.1])  # omega_1 + omega_2 = 0.75 > 0.5 + c
    state = lagex_mod.AdaGradState(omega=omega, sq=jnp.ones(5))
    _, with_l = lagex_mod.lagex_rule(True).step(state, ctx)
    _, without = lagex_mod.lagex_rule(False).step(state, ctx)
    gain_with = np.sqrt(np.asarray(with_l.sq) - 1.0)  # |gain| recovered from the AdaGrad accumulator
    gain_without = np.sqrt(np.asarray(without.sq) - 1.0)
    lam, d_val, _ = gaussian.best_response(mu_hat, jnp.ones(5), pi, verts.points, alt, omega)
    B = float(d_val) / float(lagrange.slater_slack(A_hat, ctx.b_shift))
    l = np.asarray(lagrange.multiplier(A_hat, ctx.b_shift, omega, B))
    assert l[0] > 0 and l[1] == 0
    U = np.asarray(lagex_mod.optimistic_gains(mu_hat, lam, jnp.ones(5), counts, 180))
    np.testing.assert_allclose(gain_without, np.abs(U), rtol=1e-10)
    np.testing.assert_allclose(gain_with, np.abs(U - (np.asarray(A_hat).T @ l - c * l.sum())), rtol=1e-10)
