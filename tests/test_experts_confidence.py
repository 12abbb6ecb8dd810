"""M-LCB's confidence bounds (spec section 3) and selection rules against direct formulas and brute force."""
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.experts import confidence as cf
from bandits.experts.selection import advisor as _advisor
from bandits.experts.selection import training_set as _training_set

training_set = jax.jit(_training_set, static_argnums=1)
advisor = jax.jit(_advisor)


def test_delta_beta_formulas():
    K, delta = 4, 0.05
    for n in [1, 2, 3, 10, 1000, 10**6]:
        dn = 2 * delta / (math.pi ** 2 * K * n * n)
        assert np.isclose(float(cf.delta_n(n, K, delta)), dn, rtol=1e-5)
        assert np.isclose(float(cf.log_inv_delta_n(n, K, delta)), math.log(1 / dn), rtol=1e-5)
        assert np.isclose(float(cf.beta(n, K, delta)), math.sqrt(math.log(1 / dn) / (2 * n)), rtol=1e-5)
    # sum over experts and n of delta_n is delta / 3
    total = K * sum(2 * delta / (math.pi ** 2 * K * n * n) for n in range(1, 200000))
    assert abs(total - delta / 3) < 1e-6


def test_regret_bound_formula():
    bound = cf.RegretBound(scale=jnp.array([6.0, 2.0, 1.0]), exponent=jnp.array([0.5, 0.75, 0.5]),
                           log_power=jnp.array([0.0, 0.0, 0.5]))
    n = jnp.array([9, 16, 4])
    r = np.asarray(cf.anytime_regret(bound, n, 0.01))
    assert np.allclose(r, [6 * 3, 2 * 8, 1 * 2 * math.sqrt(math.log(math.e * 5 / 0.01))], rtol=1e-5)
    assert np.all(np.asarray(cf.anytime_regret(bound, jnp.zeros(3, jnp.int32), 0.01)) == 0)


def test_lcb_ucb_values_and_sentinels():
    K, delta, c, c_R = 3, 0.05, 0.7, 1.3
    bound = cf.RegretBound(scale=jnp.array([1.0, 2.0, 0.5]), exponent=jnp.full(3, 0.5), log_power=jnp.zeros(3))
    mean = jnp.array([0.3, 0.5, 0.0])
    n = jnp.array([4, 100, 0])
    lcb, ucb = cf.bounds("hoeffding", mean, n, bound, delta, c, c_R)
    for i in range(2):
        ni = int(n[i])
        b = math.sqrt(math.log(math.pi ** 2 * K * ni * ni / (2 * delta)) / (2 * ni))
        R = float(bound.scale[i]) * math.sqrt(ni)
        assert np.isclose(float(lcb[i]), float(mean[i]) - c_R * R / ni - c * b, rtol=1e-5)
        assert np.isclose(float(ucb[i]), float(mean[i]) + c * b, rtol=1e-5)
    assert float(lcb[2]) == float(np.float32(-cf.BIG)) and float(ucb[2]) == float(np.float32(cf.BIG))


def test_self_normalized_values():
    K, delta = 2, 0.05
    bound = cf.RegretBound(scale=jnp.array([0.5, 0.0]), exponent=jnp.full(2, 0.5), log_power=jnp.zeros(2))
    for n in [1, 2, 3, 5, 8, 9, 1000]:
        mean = jnp.array([0.4, 0.05])
        nn = jnp.array([n, n])
        lcb, ucb = cf.bounds("self_normalized", mean, nn, bound, delta)
        lam = math.log(math.pi ** 2 * K * n * n / (2 * delta)) + math.log(math.ceil(math.log2(n)) + 1)
        for i in range(2):
            s = max(float(mean[i]) - float(bound.scale[i]) * math.sqrt(n) / n, 0.0)
            lo = max(math.sqrt(s + lam / n) - math.sqrt(lam / n), 0.0) ** 2
            hi = (math.sqrt(float(mean[i]) + lam / n) + math.sqrt(lam / n)) ** 2
            assert np.isclose(float(lcb[i]), lo, rtol=1e-4, atol=1e-7), (n, i)
            assert np.isclose(float(ucb[i]), hi, rtol=1e-4), (n, i)
        assert float(lcb[0]) <= float(mean[0]) <= float(ucb[0])


def random_scores(rng, K, trial):
    if trial % 3 == 0:
        s = rng.integers(0, 3, size=K).astype(np.float32)  # many exact ties
    elif trial % 3 == 1:
        s = rng.permutation(K).astype(np.float32) * 0.1 - 0.2  # distinct
        s[rng.random(K) < 0.3] = -cf.BIG  # some untrained
    else:
        s = rng.uniform(-1, 1, size=K).astype(np.float32)
    return s


@pytest.mark.parametrize("seed", [0, 1])
def test_training_set_is_brute_force_argmin(seed):
    rng = np.random.default_rng(seed)
    for trial in range(150):
        K = int(rng.integers(1, 7))
        M = int(rng.integers(1, K + 1))
        s = random_scores(rng, K, trial)
        mask, idx = training_set(jnp.asarray(s), M)
        mask, idx = np.asarray(mask), np.asarray(idx)
        assert mask.sum() == M and len(set(idx.tolist())) == M and mask[idx].all()
        sums = {S: float(np.sum(s[list(S)], dtype=np.float64)) for S in itertools.combinations(range(K), M)}
        best = min(sums.values())
        assert np.isclose(sums[tuple(sorted(idx.tolist()))], best), (s, M, idx)
        if len(set(s.tolist())) == K and s.min() > -1:  # distinct finite: the brute-force minimiser is unique
            assert tuple(sorted(idx.tolist())) == min(sums, key=sums.get)
        # ties to the lowest index: the first M of a stable sort
        assert sorted(idx.tolist()) == sorted(np.argsort(s, kind="stable")[:M].tolist()), (s, M, idx)


def test_training_set_random_ties_are_uniform():
    s = jnp.asarray([0.5, -cf.BIG, -cf.BIG, 0.1, -cf.BIG, 0.1, 0.9], jnp.float32)  # 3 tied untrained, then 2 tied
    M = 4
    counts = np.zeros(7)
    keys = jax.random.split(jax.random.key(0), 3000)
    pr = jax.vmap(lambda k: jax.random.uniform(k, (7,)))(keys)
    masks = np.asarray(jax.vmap(lambda p: training_set(s, M, p)[0])(pr))
    counts = masks.mean(axis=0)
    assert np.all(masks[:, [1, 2, 4]])  # all untrained always in
    assert counts[0] == 0 and counts[6] == 0
    assert np.all(masks[:, [3, 5]].sum(axis=1) == 1)  # exactly one of the tied pair
    assert abs(counts[3] - 0.5) < 0.04 and abs(counts[5] - 0.5) < 0.04


def test_advisor_is_argmin_ucb_in_subset():
    rng = np.random.default_rng(5)
    for trial in range(100):
        K = 5
        u = rng.integers(0, 4, size=K).astype(np.float32)
        u[rng.random(K) < 0.2] = cf.BIG
        mask = rng.random(K) < 0.5
        mask[rng.integers(K)] = True
        a = int(advisor(jnp.asarray(u), jnp.asarray(mask)))
        cand = [i for i in range(K) if mask[i]]
        assert a == min(cand, key=lambda i: (u[i], i))
        assert int(advisor(jnp.asarray(u))) == int(np.argmin(u))
