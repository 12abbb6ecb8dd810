"""Parity: the JAX online-submodular algorithms against the NumPy reference, round for round on the same data.

The JAX side is the suite's path: a problem of ``paper.problems`` (family, adversary, comparator), the policy
wrapped as the registered algorithms are (``paper._counted``), ``interact`` with the environment, and the
noise of chunk 0 of one runner seed (``sim.sample``, the draws ``run_fixed_horizon`` uses). We step it in our
own scan to trace every round's set S_t and function f_t, feed f_1..f_T and the policy's uniforms (rounding,
sampled gradients, double-greedy coins) to ``bandits.submodular.reference``, and ask for the same sets every
round, values within 1e-9 and the same final learner iterates; the runner's collected value must be the same
sum. float64 throughout (the registered algorithms build float32 policies even under x64, so the parity
policies are built with dtype=float64 and the problem's float32 parameters cast to float64: the values are
unchanged). The last test runs the registered float32 path against the reference (agreement on almost all rounds).
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.core import RunConfig, interact, run_fixed_horizon
from bandits.core.runner import seed_keys
from bandits.submodular.monotone_policy import online_continuous_greedy
from bandits.submodular.monotone_policy import oracle_calls_per_round as ocg_calls
from bandits.submodular.paper import ALGORITHMS, SubmodularExperiment, _counted, problems
from bandits.submodular.reference import run_monotone_coverage_numpy, run_usm_cut_numpy
from bandits.submodular.usm_policy import online_double_greedy

SEED = 3


def make_problem(**kw):
    spec = SubmodularExperiment(name="parity", paper="submodular", algorithms=[], seeds=1, **kw)
    return problems(spec)[0]


def as64(tree):
    return jax.tree.map(lambda a: a.astype(jnp.float64) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)


def trace(policy, problem, params, T):
    """(simulation, policy noise, masks [T, n], functions f_1..f_T stacked, values f_t(S_t) [T], final state)."""
    sim = interact(policy, problem.env, problem.known, params)
    noise = sim.sample(jax.random.fold_in(seed_keys(0, [SEED])[0], 0), T)  # chunk 0 of seed SEED (chunk = T)
    known, env = problem.known, problem.env

    @jax.jit
    def go(noise):
        def step(carry, xs):
            pstate, estate = carry
            (en, pn), t = xs
            act = policy.select(pstate, pn, t, known)
            estate, f = env.step(en, estate, act, params)
            return (policy.update(pstate, act, f, known), estate), (act.mask, f, f.value(act.mask))

        init = (policy.init(known), env.reset(None, params))
        return jax.lax.scan(step, init, (noise, jnp.arange(T, dtype=jnp.int32)))

    (pstate, estate), (masks, fs, values) = go(noise)
    return sim, noise[1], np.asarray(masks), fs, np.asarray(values), pstate, env.metrics(estate, params)


def check_runner(sim, T, collected):
    """The suite's runner on the same seed (one chunk of T rounds) collects the same Σ_t f_t(S_t)."""
    res = run_fixed_horizon(sim, [SEED], RunConfig(horizon=T, chunk=T, progress=False), np.array([T]))
    np.testing.assert_allclose(res.metrics["collected_value"][0, -1], collected, rtol=0, atol=1e-9)


def assert_same_rounds(masks, ref_masks, values, ref_values):
    bad = np.flatnonzero((masks != ref_masks).any(axis=1))
    assert bad.size == 0, f"{bad.size} rounds differ, first at t = {bad[0]}: {np.flatnonzero(masks[bad[0]])} vs " \
                          f"{np.flatnonzero(ref_masks[bad[0]])}"
    np.testing.assert_allclose(values, ref_values, rtol=0, atol=1e-9)


MONOTONE = [  # (adversary, n, k, L, algorithm options, rounds)
    ("sparse", 12, 4, 8, {}, 300),  # Algorithm 6 as registered (first-order steps, decomposition, exact ∇F)
    ("switching", 12, 3, 6, {"step": "fixed"}, 300),
    ("iid", 12, 5, 5, {"decompose": False}, 300),
    ("iid", 12, 3, 4, {"gradient_samples": 3}, 120),  # sampled gradients: the reference takes the same uniforms
]


@pytest.mark.parametrize("adversary,n,k,L,opts,T", MONOTONE)
def test_algorithm6_matches_numpy_reference(adversary, n, k, L, opts, T):
    with jax.enable_x64(True):
        problem = make_problem(family="coverage", n=n, matroid="uniform", k=k, adversary=adversary, q=0.7, period=60,
                               horizon=T)
        params = as64(problem.params)
        opts = {"horizon": T, **opts}
        inner = online_continuous_greedy(np.zeros(n, int), [k], L=L, dtype=jnp.float64, **opts)
        policy = _counted(inner, ocg_calls(n, L, opts.get("decompose", True), opts.get("gradient_samples")))
        sim, noise, masks, fs, values, state, metrics = trace(policy, problem, params, T)
        gu = None
        if "gradient_samples" in opts:  # the uniforms ``update`` draws from each round's key
            shape = (L, opts["gradient_samples"], n)
            gu = np.asarray(jax.vmap(lambda key: jax.random.uniform(key, shape, jnp.float64))(noise.gradient))
        probs, weights, active = np.asarray(fs.inner.probs[0]), np.asarray(fs.inner.weights), np.asarray(fs.a)
        assert np.all(np.asarray(fs.inner.probs) == probs[None])  # one incidence, item weights vary per round
        ref_opts = {key: v for key, v in opts.items() if key != "gradient_samples"}
        ref = run_monotone_coverage_numpy(probs, weights, k, L, np.asarray(noise.rounding), active=active,
                                          gradient_uniforms=gu, **ref_opts)
        assert_same_rounds(masks, ref["masks"], values, ref["values"])
        np.testing.assert_allclose(np.asarray(state.learners.x), ref["x"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(float(metrics["collected_value"]), ref["values"].sum(), rtol=0, atol=1e-9)
        if opts.get("step", "first_order") == "first_order" and "gradient_samples" not in opts:
            check_runner(sim, T, ref["values"].sum())
    # a non-trivial run: many different bases, inactive rounds (sparse), learners far from their start
    assert len({tuple(m) for m in masks}) > 10 and np.all(masks.sum(1) == k)
    assert np.abs(ref["x"] - k / n).max() > 0.1


USM = [("switching", 12, {}, 300), ("iid", 12, {"step": "fixed"}, 300), ("sparse", 12, {}, 200)]


@pytest.mark.parametrize("adversary,n,opts,T", USM)
def test_online_double_greedy_matches_numpy_reference(adversary, n, opts, T):
    with jax.enable_x64(True):
        problem = make_problem(family="er_cut", n=n, matroid="none", adversary=adversary, q=0.6, period=50,
                               horizon=T)
        params = as64(problem.params)
        opts = {"horizon": T, **opts}
        policy = _counted(online_double_greedy(n, dtype=jnp.float64, **opts), 4 * n)
        sim, coins, masks, fs, values, state, metrics = trace(policy, problem, params, T)
        adjacency, w, total = np.asarray(fs.inner.adjacency[0]), np.asarray(fs.inner.w), float(fs.inner.total[0])
        ref = run_usm_cut_numpy(adjacency, w, total, np.asarray(coins), active=np.asarray(fs.a), **opts)
        assert_same_rounds(masks, ref["masks"], values, ref["values"])
        np.testing.assert_allclose(np.asarray(state.oda.x), ref["x"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(float(metrics["collected_value"]), ref["values"].sum(), rtol=0, atol=1e-9)
    assert len({tuple(m) for m in masks}) > 50
    # the learners moved and were projected onto the disc's boundary. (On a cut, f(S) = f(V - S) gives
    # Δ⁺ = Δ⁻ for the first element, whose p stays ½; the others move slowly: |p - ½| ~ 0.005-0.06 here.)
    moved = np.abs(ref["probs"] - 0.5).max(axis=0) > 1e-3
    assert moved.sum() >= n // 2 and np.allclose((ref["x"] ** 2).sum(1), 1.0)


def test_registered_float32_path_agrees_with_reference_mostly():
    """The default path (float32 policies and functions): same draws, the same set on almost every round."""
    T = 300
    for family, n, setting in [("coverage", 12, "monotone"), ("er_cut", 12, "usm")]:
        kw = {"matroid": "uniform", "k": 3} if setting == "monotone" else {"matroid": "none"}
        problem = make_problem(family=family, n=n, adversary="iid", horizon=T, **kw)
        name, hp = ("ocg", {"L": 6}) if setting == "monotone" else ("odg", {})
        policy = ALGORITHMS.get(name).build(problem.known, **hp)
        _, noise, masks, fs, values, _, _ = trace(policy, problem, problem.params, T)
        f64 = lambda a: np.asarray(a, np.float64)  # noqa: E731
        if setting == "monotone":
            ref = run_monotone_coverage_numpy(f64(fs.inner.probs[0]), f64(fs.inner.weights), 3, 6,
                                              f64(noise.rounding), active=f64(fs.a))
        else:
            ref = run_usm_cut_numpy(f64(fs.inner.adjacency[0]), f64(fs.inner.w), float(fs.inner.total[0]), f64(noise),
                                    active=f64(fs.a))
        same = (masks == ref["masks"]).all(axis=1)
        assert values.dtype == np.float32
        assert same.mean() >= 0.95, (family, same.mean(), np.flatnonzero(~same)[:5])
        np.testing.assert_allclose(values[same], ref["values"][same], rtol=0, atol=1e-5)
