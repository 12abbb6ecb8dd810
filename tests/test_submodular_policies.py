"""The paper's monotone algorithm (Algorithm 6) and online double greedy (USM) as Policies:
feasibility, the double-greedy chain against a sequential reference, and the α-regret
guarantees on small instances (full information, f_t revealed each round)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.submodular import functions as fn
from bandits.submodular.comparators import Matroid, brute_force, summed_values
from bandits.submodular.monotone_policy import greedy_path, online_continuous_greedy, step_weights
from bandits.submodular.usm_policy import marginal_gains, online_double_greedy


def simulate(policy, fs, key):
    """Rewards f_t(S_t) and masks over the stacked rounds of ``fs`` (jitted scan)."""
    T = jax.tree.leaves(fs)[0].shape[0]

    @jax.jit
    def go(fs, key):
        noise = policy.sample(key, T, None)

        def step(state, inp):
            f, nz, t = inp
            a = policy.select(state, nz, t, None)
            return policy.update(state, a, f, None), (f.value(a.mask), a.mask)

        return jax.lax.scan(step, policy.init(None), (fs, noise, jnp.arange(T)))

    final, (r, masks) = go(fs, key)
    return final, np.asarray(r, float), np.asarray(masks)


def iid_coverage(n, T, seed, items=24):
    """A fixed coverage incidence; each round every item's weight is kept w.p. 1/2 (i.i.d. f_t)."""
    base = fn.random_coverage(jax.random.PRNGKey(seed), n, items, density=0.15)
    keys = jax.random.split(jax.random.PRNGKey(seed + 1), T)
    return jax.vmap(lambda k: fn.Coverage(base.probs, base.weights * (jax.random.uniform(k, (items,)) < 0.5)))(keys)


def test_greedy_path_and_weights():
    ys = jnp.asarray(np.random.default_rng(0).uniform(size=(4, 3)))
    path, end = greedy_path(ys, 0.25)
    np.testing.assert_allclose(np.asarray(path[0]), 0.0)
    np.testing.assert_allclose(np.asarray(path[2]), 0.25 * np.asarray(ys[0] + ys[1]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(end), 0.25 * np.asarray(ys.sum(0)), rtol=1e-6)
    w = np.asarray(step_weights(20, jnp.float32))
    assert np.all(np.diff(w) > 0) and np.isclose(w[-1], 1 / 1.05) and np.isclose(w[0], 1.05**-20)


@pytest.mark.slow  # statistical: the regret claim, four variants (make test-slow)
def test_monotone_policy_beats_the_curvature_line_and_random():
    n, k, T = 9, 3, 300
    fs = iid_coverage(n, T, 0)
    values = summed_values(fs)
    opt = brute_force(values, n, Matroid.uniform(n, k)).value
    rng = np.random.default_rng(0)
    random_base = np.mean(values(np.array([rng.permutation(np.arange(n) < k) for _ in range(100)])))
    for kw in [{}, {"decompose": False}, {"step": "fixed", "horizon": T}, {"gradient_samples": 8}]:
        pol = online_continuous_greedy(np.zeros(n, int), [k], L=8, **kw)
        final, r, masks = simulate(pol, fs, jax.random.PRNGKey(1))
        assert np.all(masks.sum(1) == k), kw
        ratio = r.sum() / opt
        assert ratio >= 1 - 1 / np.e, (kw, ratio)
        assert r.sum() > random_base + 0.1 * opt, (kw, ratio, random_base / opt)
        assert np.all(np.asarray(final.learners.t) == T)
        np.testing.assert_allclose(np.asarray(final.learners.x).sum(1), k, rtol=1e-4)


def test_monotone_policy_partition_matroid_bases():
    n, T = 8, 60
    blocks, caps = np.array([0, 1, 0, 1, 2, 2, 0, 1]), np.array([2, 1, 1])
    fs = iid_coverage(n, T, 3)
    pol = online_continuous_greedy(blocks, caps, L=4)
    _, r, masks = simulate(pol, fs, jax.random.PRNGKey(2))
    assert np.all(Matroid.partition(blocks, caps).is_base(masks))
    with pytest.raises(ValueError, match="caps"):
        online_continuous_greedy(blocks, [4, 1, 1])


def test_marginal_gains_follow_the_double_greedy_chain():
    rng = np.random.default_rng(0)
    n = 7
    f = fn.random_fl_minus_cost(jax.random.PRNGKey(4), n, 5, cost_scale=1.0)
    value = lambda m: float(f.value(jnp.asarray(m)))  # noqa: E731
    for _ in range(10):
        mask = rng.uniform(size=n) < 0.5
        dp, dm = (np.asarray(a) for a in jax.jit(marginal_gains)(f, jnp.asarray(mask)))
        X, Y = np.zeros(n, bool), np.ones(n, bool)
        for i in range(n):
            Xi, Yi = X.copy(), Y.copy()
            Xi[i], Yi[i] = True, False
            assert np.isclose(dp[i], value(Xi) - value(X), atol=1e-6)
            assert np.isclose(dm[i], value(Yi) - value(Y), atol=1e-6)
            assert dp[i] + dm[i] >= -1e-6  # submodularity: Δ ∈ 𝒟
            X, Y = (Xi, Y) if mask[i] else (X, Yi)
        assert np.array_equal(X, Y) and np.array_equal(X, mask)


@pytest.mark.slow  # statistical: the 1/2-regret claim (make test-slow)
@pytest.mark.parametrize("family", ["er_cut", "fl_minus_cost"])
def test_online_double_greedy_half_regret(family):
    n, T = 8, 400
    keys = jax.random.split(jax.random.PRNGKey(5), T)
    if family == "er_cut":
        g = fn.erdos_renyi_cut(jax.random.PRNGKey(6), n, 0.5, weighted=True)
        # i.i.d. edge sub-sampling each round
        fs = jax.vmap(lambda k: fn.GraphCut(g.adjacency * jnp.triu(jax.random.uniform(k, (n, n)) < 0.7, 1)
                                            + (g.adjacency * jnp.triu(jax.random.uniform(k, (n, n)) < 0.7, 1)).T))(keys)
    else:
        fs = jax.vmap(lambda k: fn.random_fl_minus_cost(k, n, 4, cost_scale=1.0))(keys)
    values = summed_values(fs)
    opt = brute_force(values, n).value
    pol = online_double_greedy(n)
    final, r, masks = simulate(pol, fs, jax.random.PRNGKey(7))
    # ½-regret: Σ f_t(S_t) >= ½ opt - O(sqrt(nT)); at this size the slack is tiny
    assert r.sum() >= 0.5 * opt, (r.sum() / opt)
    probs = np.asarray(jax.vmap(lambda a: (3 * a[0] + a[1]) / (4 * (a[0] + a[1])))(final.oda.x))
    assert np.all((probs >= 0.25 - 1e-6) & (probs <= 0.75 + 1e-6))  # the oracle's range
    assert np.all(np.asarray(final.oda.t) == T)
