"""Baselines against direct restatements: LimitedAdvice's sampling and estimates, ED2RB, round-robin."""
import math

import jax
import jax.numpy as jnp
import numpy as np

from bandits.experts import ed2rb, experts_env, known_of, limited_advice, oracle_experts, round_robin
from bandits.experts.environment import ExpertObs
from bandits.experts.limited_advice import LimitedAdviceState, inclusion, weights
from bandits.experts.loop import run


def test_limited_advice_sampling_matches_p_and_q():
    K, M = 6, 3
    pol = limited_advice(M)
    known = known_of(oracle_experts(np.full(K, 0.5)))
    state = LimitedAdviceState(estimates=jnp.array([3.0, 0.0, 10.0, 5.0, 1.0, 7.0]), rounds=jnp.int32(4))
    u = jax.jit(pol.sample, static_argnums=1)(jax.random.key(0), 40000, known)
    acts = jax.jit(jax.vmap(lambda ut: pol.select(state, ut, jnp.int32(4), known)))(u)
    mask, adv = np.asarray(acts.train), np.asarray(acts.advisor)
    p = np.asarray(weights(state.estimates, jnp.int32(5), M))
    eta = math.sqrt(M * math.log(K) / (K * 5))
    expect_p = np.exp(-eta * np.asarray(state.estimates))
    assert np.allclose(p, expect_p / expect_p.sum(), rtol=1e-5)
    assert np.all(mask.sum(axis=1) == M) and np.all(mask[np.arange(len(adv)), adv])
    assert np.allclose(np.bincount(adv, minlength=K) / len(adv), p, atol=0.01)
    q = np.asarray(inclusion(jnp.asarray(p), M))
    assert np.allclose(q, p + (1 - p) * (M - 1) / (K - 1))
    assert np.allclose(mask.mean(axis=0), q, atol=0.01)  # q(a) = P(a in O_t): unbiased importance weights
    # the update by hand
    obs = ExpertObs(raw_loss=jnp.zeros(K), advice_loss=jnp.where(acts.train[0], 0.7, 0.0), suffered=jnp.float32(0.7))
    new = pol.update(state, jax.tree_util.tree_map(lambda a: a[0], acts), obs, known)
    assert np.allclose(np.asarray(new.estimates), np.asarray(state.estimates) + np.where(mask[0], 0.7 / q, 0.0), rtol=1e-5)
    assert int(new.rounds) == 5


def ed2rb_numpy(losses, c, delta, d_min):
    """ED2RB on per-round loss vectors (non-learning experts): the sequence of played experts."""
    T, K = losses.shape
    n, u, phi = np.zeros(K), np.zeros(K), np.full(K, d_min)
    played = []
    for t in range(T):
        i = int(np.argmin(phi))
        played.append(i)
        n[i] += 1
        u[i] += 1 - losses[t, i]
        conf = np.where(n > 0, c * np.sqrt(np.log(K * np.log(np.maximum(np.maximum(n, 1), 3)) / delta) / np.maximum(n, 1)), 0)
        mean = u / np.maximum(n, 1)
        best = np.max(np.where(n > 0, mean - conf, -np.inf))
        d = max(d_min, math.sqrt(n[i]) * (best - (mean[i] + conf[i])))
        phi[i] = min(max(d * math.sqrt(n[i]), phi[i]), 2 * phi[i])
    return np.array(played)


def test_ed2rb_matches_restatement():
    L = [0.1, 0.5, 0.3, 0.6]
    fam = oracle_experts(L, 0.0)
    T = 600
    with jax.enable_x64(True):
        fam = oracle_experts(L, 0.0)
        tr = lambda p, e, a, o, z: (a.advisor, a.train.sum(), z)
        _, final, (adv, size, u) = run(ed2rb(c=0.3, d_min=0.2), experts_env(fam), known_of(fam), None,
                                       jax.random.key(4), T, trace=tr)
        adv, size, u = map(np.asarray, (adv, size, u))
    losses = (u[:, None] < np.asarray(L)[None, :]).astype(float)
    assert np.array_equal(adv, ed2rb_numpy(losses, 0.3, 0.05, 0.2))
    assert np.all(size == 1)
    assert np.bincount(adv, minlength=4).argmax() == 0  # the best expert is played most


def test_round_robin_pattern_and_advisor():
    fam = oracle_experts([0.3, 0.1, 0.5, 0.2, 0.4], 0.0)
    tr = lambda p, e, a, o, z: (a.train, a.advisor, p.loss_sums.value / jnp.maximum(p.counts, 1), p.counts)
    _, _, (mask, adv, mean, counts) = run(round_robin(2), experts_env(fam), known_of(fam), None, jax.random.key(0), 50,
                                          trace=tr)
    mask, adv, mean, counts = map(np.asarray, (mask, adv, mean, counts))
    for t in range(50):
        expect = np.zeros(5, bool)
        expect[[(2 * t) % 5, (2 * t + 1) % 5]] = True
        assert np.array_equal(mask[t], expect)
        trained = np.flatnonzero(counts[t] > 0)
        if len(trained):
            assert adv[t] == trained[np.argmin(mean[t, trained])]
        else:
            assert adv[t] == 0
