"""End-to-end checks: prediction-averaged safe advice, M-LCB at M = K, bandit experts, rates (slow)."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.experts import (BanditOracle, experts_env, full_training, glm_experts, known_of, mflcb, mlcb,
                             oracle_experts, paper_oracle, round_robin, ucb_experts)
from bandits.experts.family import train
from bandits.experts.glm import LINKS
from bandits.experts.loop import run


def seeds_run(policy, fam, oracle, T, seeds, base=0):
    env = experts_env(fam)
    keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.key(base), s))(jnp.arange(seeds))
    return jax.jit(jax.vmap(lambda key: run(policy, env, known_of(fam), oracle, key, T)[1]))(keys)


def test_prediction_averaging_safe_advice():
    T = 40
    fam = glm_experts(d=5, safe="prediction", history=T)
    z = jax.jit(fam.sample, static_argnums=1)(jax.random.key(2), T, paper_oracle(5))
    masks = jnp.asarray(np.random.default_rng(1).random((T, 4)) < 0.6)

    def body(state, xs):
        zt, m = xs
        return train(fam, state, zt, m), state.theta

    final, before = jax.jit(lambda z, m: jax.lax.scan(body, fam.init(), (z, m)))(z, masks)
    zq = jax.tree_util.tree_map(lambda a: a[3], z)
    m = np.asarray(masks)
    got = np.asarray(fam.advice_loss(final, zq))
    for i, name in enumerate(fam.names):
        states = np.asarray(before)[m[:, i], i]
        pred = np.mean([float(LINKS[name][0](jnp.float32(s @ np.asarray(zq.x)))) for s in states])
        assert np.isclose(got[i], (pred - float(zq.y)) ** 2, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError):
        glm_experts(safe="prediction")


def test_mlcb_at_full_budget_is_full_training():
    fam = oracle_experts([0.1, 0.3, 0.2], [0.3, 0.2, 0.4], 0.5)
    env = experts_env(fam)
    tr = lambda p, e, a, o, z: a
    a1 = run(mlcb(3, c=0.3), env, known_of(fam), None, jax.random.key(0), 300, trace=tr)[2]
    a2 = run(full_training(c=0.3), env, known_of(fam), None, jax.random.key(0), 300, trace=tr)[2]
    assert np.array_equal(np.asarray(a1.train), np.asarray(a2.train)) and np.asarray(a1.train).all()
    assert np.array_equal(np.asarray(a1.advisor), np.asarray(a2.advisor))


def test_bandit_experts_end_to_end():
    """K = 4 UCB1 experts over 6 Bernoulli actions; the one holding the best arm should win."""
    subsets = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1]], bool)
    oracle = BanditOracle(means=jnp.array([0.6, 0.5, 0.55, 0.2, 0.45, 0.5]))  # best arm 3: experts 1 and 3
    fam = ucb_experts(subsets, [2.0, 2.0, 1.0, 1.0])
    T = 3000
    final = seeds_run(mlcb(2), fam, oracle, T, 20, base=5)
    regret = np.asarray(final.pseudo_regret.value)
    assert np.all(np.isfinite(regret))
    assert regret.mean() < 0.2 * T * 0.35  # far below always advising a bad expert (gap >= 0.25)
    assert np.isin(np.asarray(final.last_advisor), [1, 3]).mean() >= 0.9
    assert np.all(np.asarray(final.counts).sum(axis=1) == 2 * T)
    # realized and pseudo regret agree on average (the same quantity up to noise)
    real = np.asarray(final.realized_regret.value)
    assert abs(real.mean() - regret.mean()) < 4 * real.std() / math.sqrt(20) + 5


def test_glm_paper_instance_budgets():
    """The paper's GLM instance in small: exact budgets for M-FLCB and round-robin, finite regret."""
    fam, oracle = glm_experts(), paper_oracle()
    T = 2000
    final = seeds_run(mflcb(1), fam, oracle, T, 8, base=3)
    counts = np.asarray(final.counts)
    assert np.all(counts.sum(axis=1) == T)
    rr = seeds_run(round_robin(1), fam, oracle, T, 8, base=3)
    assert np.all(np.asarray(rr.counts) == T // 4)
    assert np.all(np.isfinite(np.asarray(final.pseudo_regret.value)))


@pytest.mark.slow
def test_rate_slopes_with_oracle_experts():
    """Table 2: the log-log slope of regret in T is about max(1/2, alpha); regret non-increasing in M."""
    K = 6
    L = [0.1, 0.2, 0.25, 0.3, 0.35, 0.4]
    for alpha in (0.5, 0.75):
        fam = oracle_experts(L, 0.5, alpha)
        env = experts_env(fam)
        Ts = [1000, 4000, 16000]
        pol = mlcb(2)
        grid = np.asarray(Ts) - 1
        tr = lambda p, e, a, o, z: e.pseudo_regret.value
        keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.key(9), s))(jnp.arange(40))
        curves = jax.jit(jax.vmap(lambda key: run(pol, env, known_of(fam), None, key, Ts[-1], trace=tr)[2]))(keys)
        means = np.asarray(curves).mean(axis=0)[grid]
        slope = np.polyfit(np.log(Ts), np.log(means), 1)[0]
        assert abs(slope - max(0.5, alpha)) < 0.1, (alpha, slope, means)  # measured: 0.46, 0.73
    fam = oracle_experts(L, 0.5, 0.5)
    finals = [float(np.asarray(seeds_run(mlcb(M), fam, None, 4000, 40, base=1).pseudo_regret.value).mean())
              for M in (1, 2, 3, 6)]
    assert all(b <= a * 1.1 for a, b in zip(finals, finals[1:])), finals


@pytest.mark.slow
def test_rate_slope_in_K_over_M_on_worst_case_gaps():
    """Slope of regret in K/M <= max(1/2, 1 - alpha) (+ log factors), on gaps sqrt(K/(M T)).

    With fixed gaps the regret is gap-dependent (about K ln T / gap, slope ~ 1 in K):
    the minimax slope only shows on gaps shrinking like sqrt(K/(MT)). Measured: 0.57 (alpha 0.5), 0.32 (0.75).
    """
    T, Ks = 4000, [2, 4, 8, 16]
    for alpha in (0.5, 0.75):
        res = []
        for K in Ks:
            gap = math.sqrt(K / T)
            fam = oracle_experts([0.3] + [0.3 + gap] * (K - 1), 0.5, alpha)
            res.append(float(np.asarray(seeds_run(mlcb(1), fam, None, T, 30, base=2).pseudo_regret.value).mean()))
        slope = np.polyfit(np.log(Ks), np.log(res), 1)[0]
        assert 0.2 < slope <= max(0.5, 1 - alpha) + 0.15, (alpha, slope, res)
