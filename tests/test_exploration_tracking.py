"""C- and D-tracking against straightforward Python loops, and GK16's tracking guarantees."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.exploration import tracking


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def run_c(omegas):
    def step(carry, xs):
        cum, counts = carry
        w, t = xs
        arm, cum = tracking.c_tracking(cum, counts, w, t)
        return (cum, counts.at[arm].add(1)), (arm, cum, counts.at[arm].add(1))

    T, K = omegas.shape
    init = (jnp.zeros(K), jnp.zeros(K, jnp.int32))
    return jax.lax.scan(step, init, (jnp.asarray(omegas), jnp.arange(1, T + 1)))[1]


def python_c(omegas):
    T, K = omegas.shape
    cum, counts, arms = np.zeros(K), np.zeros(K, int), []
    for t in range(1, T + 1):
        eps = 1 / (2 * math.sqrt(K * K + t))
        cum = cum + (1 - K * eps) * omegas[t - 1] + eps
        gaps = counts - cum
        arm = min(range(K), key=lambda a: (gaps[a], a))  # ties to the lowest index
        counts[arm] += 1
        arms.append(arm)
    return np.array(arms)


def omega_sequences(seed, T=400, K=4):
    rng = np.random.default_rng(seed)
    fixed = np.tile(np.array([0.5, 0.5, 0.0, 0.0]), (T, 1))  # zero weights and exact ties
    drifting = rng.dirichlet(np.ones(K) * 0.3, size=T)
    uniform = np.full((T, K), 1.0 / K)  # all ties: round robin 0, 1, 2, 3, ...
    return [fixed, drifting, uniform]


def test_c_tracking_matches_loop_and_guarantees():
    for omegas in omega_sequences(0):
        arms, cum, counts = (np.asarray(x) for x in run_c(omegas))
        np.testing.assert_array_equal(arms, python_c(omegas))
        T, K = omegas.shape
        t = np.arange(1, T + 1)
        # GK16 Lemma 7: N_a(t) >= sqrt(t + K^2) - 2K and |N_a(t) - S_a(t)| <= K - 1
        assert np.all(counts >= np.sqrt(t + K * K)[:, None] - 2 * K)
        assert np.all(np.abs(counts - cum) <= K - 1 + 1e-9)
    arms, _, _ = run_c(omega_sequences(0)[2])
    np.testing.assert_array_equal(np.asarray(arms)[:8], [0, 1, 2, 3, 0, 1, 2, 3])


def test_d_tracking_matches_loop():
    for omegas in omega_sequences(1):
        T, K = omegas.shape
        counts = np.zeros(K, int)
        for t in range(1, T + 1):
            arm = int(tracking.d_tracking(jnp.asarray(counts), jnp.asarray(omegas[t - 1]), t))
            if np.any(counts < math.sqrt(t) - K / 2):
                ref = int(np.argmin(counts))
            else:
                ref = int(np.argmin(counts - t * omegas[t - 1]))
            assert arm == ref
            counts[arm] += 1
            assert counts.min() >= math.sqrt(t) - K / 2 - 1  # forced exploration
