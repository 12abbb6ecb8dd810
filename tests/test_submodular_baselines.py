"""The spec §6 baselines of the online-submodular paper: Fixed-Share online greedy, Meta-Frank-Wolfe,
follow-the-leader greedy and double greedy, Roughgarden–Wang online double greedy.

Small instances (n <= 9, T <= 300), policies run directly on stacked f_t (as ``test_submodular_policies``),
seeds batched in one compiled scan."""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_submodular_policies import iid_coverage

from bandits.submodular import functions as fn
from bandits.submodular.baselines import (meta_frank_wolfe, online_greedy, online_greedy_calls, random_base,
                                          random_set, roughgarden_wang, two_experts)
from bandits.submodular.blackwell import COST_SCALE, balance_init, balance_probs, balance_update, payoff
from bandits.submodular.comparators import Matroid, brute_force, double_greedy, greedy, summed_values
from bandits.submodular.ftl import (LINEAR_FIELDS, accumulator, ftl_double_greedy, ftl_double_greedy_calls,
                                    ftl_greedy, ftl_greedy_calls)
from bandits.submodular.instances import FAMILIES, FastCoverage, Scaled
from bandits.submodular.paper import ALGORITHMS, SETTING, algorithms_for, example, example_usm

NEW = ("meta_frank_wolfe", "ftl_greedy", "roughgarden_wang", "ftl_double_greedy")


class Masked(NamedTuple):
    mask: jax.Array


def run_seeds(policy, fs, seeds):
    """f_t(S_t) [S, T] and masks [S, T, n] for every seed, one compiled scan (vmapped over seeds)."""
    T = jax.tree.leaves(fs)[0].shape[0]

    def one(key):
        noise = policy.sample(key, T, None) if policy.sample is not None else jnp.zeros(T)

        def step(state, inp):
            f, nz, t = inp
            a = policy.select(state, nz, t, None)
            mask = a if isinstance(a, jax.Array) else a.mask
            return policy.update(state, a, f, None), (f.value(mask), mask)

        return jax.lax.scan(step, policy.init(None), (fs, noise, jnp.arange(T)))[1]

    r, masks = jax.jit(jax.vmap(one))(jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds)))
    return np.asarray(r, float), np.asarray(masks)


def constant(f, T):
    """The same f every round (a stacked pytree)."""
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (T,) + jnp.shape(x)), f)


def modular_usm(n, T, seed):
    """FL minus cost with one customer per element (a modular expectation): i is worth W_ii/n - c_i, the elements
    alternate between clearly in (W_ii = 1, c_i small) and clearly out (W_ii = 0.1, c_i large); each customer is
    kept w.p. 1/2 every round (i.i.d.). A uniformly random set gets about half the optimum here."""
    good = np.arange(n) % 2 == 0
    W = np.diag(np.where(good, 1.0, 0.1)).astype(np.float32)
    cost = np.where(good, 0.02, 0.3).astype(np.float32)
    keys = jax.random.split(jax.random.PRNGKey(seed), T)
    keep = jax.vmap(lambda k: (jax.random.uniform(k, (n,)) < 0.5).astype(jnp.float32))(keys)
    return jax.vmap(lambda w: fn.FacilityLocationMinusCost(fn.FacilityLocation(jnp.asarray(W) * w[:, None]),
                                                           jnp.asarray(cost)))(keep)


# ----------------------------------------------------------------------------- Fixed-Share online greedy
def test_fixed_share_zero_is_plain_hedge_bit_for_bit():
    n, k, T = 8, 3, 60
    blocks = np.zeros(n, int)
    fs = iid_coverage(n, T, 2)
    plain = run_seeds(online_greedy(blocks, [k], T), fs, [0, 1])
    zero = run_seeds(online_greedy(blocks, [k], T, share=0.0), fs, [0, 1])
    np.testing.assert_array_equal(plain[1], zero[1])
    np.testing.assert_array_equal(plain[0], zero[0])
    with pytest.raises(ValueError, match="share"):
        online_greedy(blocks, [k], T, share=1.5)


def test_fixed_share_weights_match_a_numpy_reference_and_keep_the_floor():
    n, T, share, eta = 6, 25, 0.1, 0.7
    blocks, caps = np.array([0, 0, 0, 1, 1, 1]), np.array([2, 1])
    pol = online_greedy(blocks, caps, T, eta=eta, share=share)
    fs = iid_coverage(n, T, 3)
    gumbel = pol.sample(jax.random.PRNGKey(4), T, None)
    logw = pol.init(None)
    in_block = blocks[None, :] == np.repeat(np.arange(2), caps)[:, None]  # [k, n]
    w = in_block / in_block.sum(1, keepdims=True)  # the reference weights, float64
    select, update = jax.jit(pol.select), jax.jit(pol.update)
    probs, weights = np.asarray(fs.probs, float), np.asarray(fs.weights, float)
    for t in range(T):
        f = jax.tree.map(lambda x: x[t], fs)
        play = select(logw, gumbel[t], t, None)
        logw = update(logw, play, f, None)
        value = lambda S: weights[t] @ (1 - np.prod(1 - probs[t][S], axis=0))  # noqa: E731  coverage, NumPy
        S, gains = np.zeros(n, bool), np.zeros(w.shape)
        for j, i in enumerate(np.asarray(play.picks)):  # marginal gains of every slot, the reference way
            for e in range(n):
                gains[j, e] = value(S | (np.arange(n) == e)) - value(S)
            S[i] = True
        v = w * np.exp(eta * gains) * in_block
        v /= v.sum(1, keepdims=True)
        w = ((1 - share) * v + share / in_block.sum(1, keepdims=True)) * in_block
        got = np.where(in_block, np.exp(np.asarray(logw, float)), 0.0)
        np.testing.assert_allclose(got, w, rtol=2e-5, atol=1e-7)
        assert np.all(got[in_block] >= share / 3 * (1 - 1e-5))  # never below α / N_j
        assert np.array_equal(np.asarray(play.mask), S) and Matroid.partition(blocks, caps).is_base(S)[0]


# ----------------------------------------------------------------------------- Meta-Frank-Wolfe
def test_meta_frank_wolfe_plays_bases_and_beats_random_base():
    n, k, T = 9, 3, 300
    fs = iid_coverage(n, T, 0)
    values = summed_values(fs)
    opt = brute_force(values, n, Matroid.uniform(n, k)).value
    alpha = 1 - 1 / math.e
    mfw_r, mfw_masks = run_seeds(meta_frank_wolfe(np.zeros(n, int), [k], T, L=8), fs, [0, 1, 2])
    rb_r, rb_masks = run_seeds(random_base(np.zeros(n, int), [k]), fs, [0, 1, 2])
    assert np.all(mfw_masks.sum(-1) == k) and np.all(rb_masks.sum(-1) == k)
    mfw_regret, rb_regret = alpha * opt - mfw_r.sum(1).mean(), alpha * opt - rb_r.sum(1).mean()
    assert mfw_regret < 0.0, (mfw_regret / opt)  # (1 - 1/e)-regret: none left at this size
    assert mfw_regret < rb_regret - 0.08 * opt, (mfw_regret / opt, rb_regret / opt)
    # the second half is better than the first: it learns
    half = T // 2
    assert mfw_r[:, half:].sum() > mfw_r[:, :half].sum()


def test_meta_frank_wolfe_partition_bases_and_bad_input():
    n, T = 8, 40
    blocks, caps = np.array([0, 1, 0, 1, 2, 2, 0, 1]), np.array([2, 1, 1])
    _, masks = run_seeds(meta_frank_wolfe(blocks, caps, T, L=4), iid_coverage(n, T, 3), [0])
    assert np.all(Matroid.partition(blocks, caps).is_base(masks[0]))
    with pytest.raises(ValueError, match="L"):
        meta_frank_wolfe(blocks, caps, T, L=0)
    with pytest.raises(ValueError, match="caps"):
        meta_frank_wolfe(blocks, [4, 1, 1], T)


# ----------------------------------------------------------------------------- follow the leader
@pytest.mark.parametrize("family", ["coverage", "facility_location", "concave_modular", "er_cut", "fl_minus_cost"])
def test_ftl_running_sum_equals_the_sum_of_the_revealed_functions(family):
    """F_t = Σ_s a_s g(·; w_s) from O(1) memory, for every family of the suite (affine ones included)."""
    n, T = 7, 12
    fam = FAMILIES.get(family)
    base = fam.make(jax.random.PRNGKey(0), n, 0.6)
    m = fam.components(base)
    rng = np.random.default_rng(1)
    ws = (rng.uniform(size=(T, m)) < 0.5).astype(np.float32)
    a = np.where(rng.uniform(size=T) < 0.7, 0.8, 0.0).astype(np.float32)  # sparse activity, scale 0.8
    fs = [Scaled(fam.apply(base, jnp.asarray(w)), jnp.float32(s)) for w, s in zip(ws, a)]
    acc = accumulator(jax.eval_shape(lambda: fs[0]))
    leader = acc.init()
    masks = jnp.asarray(rng.uniform(size=(16, n)) < 0.5)
    for f in fs:
        leader = acc.add(leader, f)
    got = np.asarray(jax.vmap(acc.function(leader).value)(masks))
    want = sum(np.asarray(jax.vmap(f.value)(masks), np.float64) for f in fs)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_ftl_rejects_families_without_a_linear_parameter_field():
    f = fn.random_concave_modular(jax.random.PRNGKey(0), 5, 3, 0.5)  # φ_c is not affine in the weights
    assert type(f) not in LINEAR_FIELDS
    with pytest.raises(ValueError, match="ConcaveModular"):
        ftl_greedy(np.zeros(5, int), [2], f)
    with pytest.raises(ValueError, match="ConcaveModular"):
        ftl_double_greedy(5, Scaled(f, jnp.float32(1)))


@pytest.mark.parametrize("blocks,caps", [(np.zeros(9, int), [3]), (np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]), [1, 2, 1])])
def test_ftl_greedy_on_a_constant_adversary_plays_the_offline_greedy_set(blocks, caps):
    n, T = 9, 6
    base = fn.random_coverage(jax.random.PRNGKey(7), n, 27, density=0.15)
    f = Scaled(FastCoverage(base.probs, base.weights), jnp.float32(0.9))
    matroid = Matroid.partition(blocks, caps)
    expected = greedy(summed_values(jax.tree.map(lambda x: x[None], f)), n, matroid).mask
    _, masks = run_seeds(ftl_greedy(blocks, caps, f), constant(f, T), [0])
    assert np.all(matroid.is_base(masks[0]))
    first = np.zeros(n, bool)  # F_0 = 0: the first caps[b] elements of each block
    for b, c in enumerate(caps):
        first[np.flatnonzero(blocks == b)[:c]] = True
    np.testing.assert_array_equal(masks[0, 0], first)
    for t in range(1, T):
        np.testing.assert_array_equal(masks[0, t], expected, err_msg=f"round {t + 1}")


@pytest.mark.parametrize("family", ["er_cut", "fl_minus_cost"])
def test_ftl_double_greedy_on_a_constant_adversary_plays_the_offline_double_greedy_set(family):
    n, T = 8, 5
    fam = FAMILIES.get(family)
    base = fam.make(jax.random.PRNGKey(3), n, 0.0)
    f = Scaled(fam.apply(base, jnp.ones(fam.components(base), jnp.float32)), jnp.float32(1.0))
    expected = double_greedy(summed_values(jax.tree.map(lambda x: x[None], f)), n).mask
    assert 0 < expected.sum() < n  # a non-trivial set
    _, masks = run_seeds(ftl_double_greedy(n, f), constant(f, T), [0])
    assert masks[0, 0].all()  # F_0 = 0: every tie goes to "add"
    for t in range(1, T):
        np.testing.assert_array_equal(masks[0, t], expected, err_msg=f"round {t + 1}")


# ----------------------------------------------------------------------------- Roughgarden–Wang
def test_two_experts_subroutine_keeps_rw_guarantee_against_an_adversary():
    """Σ_t u(p_t, Δ_t) <= (3/2) sqrt(2 T ln 2) coordinate-wise: the subroutine's total value is at least twice
    either expert's value on the rounds it did not pick it, up to O(sqrt T), even against an adaptive Δ."""
    T, n = 400, 64
    learner = two_experts(T)
    state = balance_init(learner, n)
    key = jax.random.PRNGKey(0)
    total = jnp.zeros((n, 2))

    @jax.jit
    def round_(state, total, key):
        p = balance_probs(state)
        # adaptive adversary: the vertex of 𝒟 that hurts the current p most in a random coordinate, mixed with noise
        coin = jax.random.uniform(key, (n,)) < 0.5
        vert = jnp.where(coin[:, None], jnp.stack([jnp.ones(n), -jnp.ones(n)], 1), jnp.stack([-jnp.ones(n),
                                                                                               jnp.ones(n)], 1))
        noise = jax.random.uniform(jax.random.fold_in(key, 1), (n, 2), minval=-1.0, maxval=1.0)
        noise = jnp.where((noise.sum(1) >= 0)[:, None], noise, -noise)  # Δ⁺ + Δ⁻ >= 0
        d = jnp.where((jax.random.uniform(jax.random.fold_in(key, 2), (n,)) < 0.7)[:, None], vert, noise)
        assert p.shape == (n,)
        return balance_update(learner, state, p, d[:, 0], d[:, 1]), total + payoff(p, d[:, 0], d[:, 1]), p

    for t in range(T):
        state, total, p = round_(state, total, jax.random.fold_in(key, t))
        assert np.all((np.asarray(p) >= 0.25 - 1e-6) & (np.asarray(p) <= 0.75 + 1e-6))
    bound = 1.5 * math.sqrt(2 * T * math.log(2))
    assert float(jnp.max(total)) <= bound, (float(jnp.max(total)), bound)
    np.testing.assert_allclose(np.asarray(state.oda.cum_cost), -COST_SCALE * np.asarray(total), rtol=1e-4, atol=1e-4)


@pytest.mark.slow  # statistical: regret over seeds (make test-slow)
def test_roughgarden_wang_learns_where_the_random_set_does_not():
    n, T = 8, 300
    fs = modular_usm(n, T, 0)
    opt = brute_force(summed_values(fs), n).value
    rw_r, rw_masks = run_seeds(roughgarden_wang(n, T), fs, [0, 1, 2])
    rs_r, _ = run_seeds(random_set(n), fs, [0, 1, 2])
    rw_regret, rs_regret = 0.5 * opt - rw_r.sum(1).mean(), 0.5 * opt - rs_r.sum(1).mean()
    assert rw_regret < 0.0 and rw_regret < rs_regret - 0.05 * opt, (rw_regret / opt, rs_regret / opt)
    good = np.arange(n) % 2 == 0  # the late rounds add the good elements more often than the bad ones
    late = rw_masks[:, -T // 4:].mean((0, 1))  # (slowly: the gains are ~0.02, the step sqrt(2 ln 2 / T))
    assert late[good].mean() > late[~good].mean() + 0.1 and late[good].min() > 0.45 > late[~good].max(), late


# ----------------------------------------------------------------------------- oracle calls and registration
def counted_calls(policy, f, rounds=2):
    """Value-oracle calls of ``policy`` over ``rounds`` rounds on the constant f (counted at run time)."""
    calls = [0]

    class Counting(NamedTuple):
        inner: object

        def value(self, mask):
            jax.debug.callback(lambda m: calls.__setitem__(0, calls[0] + 1), mask)
            return self.inner.value(mask)

        def gradient(self, x):
            return self.inner.gradient(x)

    run_seeds(policy, constant(Counting(f), rounds), [0])
    jax.effects_barrier()
    return calls[0] / rounds - 1  # less the harness's own f_t(S_t)


def test_oracle_calls_match_what_the_policies_call(monkeypatch):
    n, k = 6, 2
    base = fn.random_coverage(jax.random.PRNGKey(0), n, 12, density=0.3)
    cov = FastCoverage(base.probs, base.weights)
    assert counted_calls(online_greedy(np.zeros(n, int), [k], 10, share=0.2), cov) == online_greedy_calls(n, k)
    assert counted_calls(meta_frank_wolfe(np.zeros(n, int), [k], 10, L=3), cov) == 0  # exact gradients
    assert counted_calls(roughgarden_wang(n, 10), cov) == 2 * n + 2
    # FTL evaluates its running sum F_{t-1}, a function of the family: count the family's evaluations
    calls = [0]
    plain = FastCoverage.value

    def counting(self, mask):
        jax.debug.callback(lambda m: calls.__setitem__(0, calls[0] + 1), mask)
        return plain(self, mask)

    monkeypatch.setattr(FastCoverage, "value", counting)
    f = Scaled(cov, jnp.float32(1.0))
    for pol, expected in [(ftl_greedy(np.zeros(n, int), [k], f), ftl_greedy_calls(n, k)),
                          (ftl_double_greedy(n, f), ftl_double_greedy_calls(n))]:
        calls[0] = 0
        state = pol.init(None)
        for t in range(2):
            mask = jax.jit(pol.select)(state, None, t, None)
            state = pol.update(state, mask, f, None)
        jax.effects_barrier()
        assert calls[0] / 2 == expected, (pol, calls[0] / 2, expected)


def test_new_baselines_are_registered_in_their_setting_with_distinct_colours():
    for name in NEW:
        assert name in ALGORITHMS.names()
    assert {"meta_frank_wolfe", "ftl_greedy"} <= set(algorithms_for(True))
    assert {"roughgarden_wang", "ftl_double_greedy"} <= set(algorithms_for(False))
    colours = [ALGORITHMS.get(a).color for a in ALGORITHMS.names()]
    assert len(set(colours)) == len(colours)
    assert SETTING["online_greedy"] and "share" in ALGORITHMS.get("online_greedy").hyperparameters()
    problem, _ = example()
    for name in ["meta_frank_wolfe", "ftl_greedy", "online_greedy"]:
        ALGORITHMS.get(name).build(problem.known)
    ALGORITHMS.get("online_greedy").build(problem.known, share=0.05)
    problem, _ = example_usm()
    for name in ["roughgarden_wang", "ftl_double_greedy"]:
        ALGORITHMS.get(name).build(problem.known)
