"""Dependent (pipage) rounding: always a base, marginals preserved, E f(S) >= F(x)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.submodular.projections import project_partition, project_uniform
from bandits.submodular.rounding import (
    dependent_round_partition,
    dependent_round_uniform,
    pipage_step,
)

DRAWS = 12000


def random_base_point(rng, n, k, trial):
    """A point of B_k with ties, integral and near-integral coordinates."""
    if trial % 4 == 0:  # exact ties
        z = np.log(rng.choice([0.2, 1.0, 2.0], size=n))
    elif trial % 4 == 1:  # some coordinates exactly 1 / tiny
        z = rng.normal(size=n) * 6
    else:
        z = rng.normal(size=n)
    return np.asarray(project_uniform(jnp.asarray(z, jnp.float32), k))


def check_marginals(masks, x):
    p = masks.mean(0)
    se = np.sqrt(np.maximum(x * (1 - x), 1e-12) / masks.shape[0])
    assert np.all(np.abs(p - x) <= 5 * se + 1e-6), (p, x)


def test_pipage_step_is_a_mean_zero_move_to_a_face():
    rng = np.random.default_rng(0)
    for _ in range(200):
        xi, xj = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, rng.uniform()], size=2)
        u = rng.uniform(size=4000)
        ni, nj = (np.asarray(a) for a in jax.vmap(lambda v: pipage_step(xi, xj, v))(jnp.asarray(u, jnp.float32)))
        np.testing.assert_allclose(ni + nj, xi + xj, atol=1e-6)  # sum kept
        int_i = (ni == 0) | (ni == 1)
        int_j = (nj == 0) | (nj == 1)
        assert np.all(int_i | int_j)  # one becomes integral
        assert np.all((ni >= 0) & (ni <= 1) & (nj >= 0) & (nj <= 1))
        assert abs(ni.mean() - xi) < 5 * 0.5 / np.sqrt(4000) + 1e-6  # mean zero


@pytest.mark.parametrize("seed", [0, 1])
def test_uniform_always_a_base_and_marginals_preserved(seed):
    rng = np.random.default_rng(seed)
    rounder = jax.jit(jax.vmap(dependent_round_uniform, in_axes=(None, 0, None)))
    for trial in range(12):
        n, k = [(6, 2), (9, 4), (5, 1), (12, 11)][trial % 4]
        x = random_base_point(rng, n, k, trial)
        u = jax.random.uniform(jax.random.PRNGKey(100 * seed + trial), (DRAWS, n - 1))
        masks = np.asarray(rounder(jnp.asarray(x), u, k))
        assert masks.dtype == bool and np.all(masks.sum(1) == k)
        check_marginals(masks, x)
        # integral coordinates are never changed
        assert np.all(masks[:, x >= 1 - 1e-7]) and not np.any(masks[:, x <= 1e-7])


def test_partition_always_a_base_and_marginals_preserved():
    rng = np.random.default_rng(2)
    rounder = jax.jit(jax.vmap(dependent_round_partition, in_axes=(None, 0, None, None)))
    for trial in range(8):
        n, B = [(9, 3), (7, 2)][trial % 2]
        blocks = rng.permutation(np.arange(n) % B)  # interleaved blocks
        caps = np.array([int(rng.integers(1, np.sum(blocks == b) + 1)) for b in range(B)])
        z = rng.normal(size=n) * (3 if trial % 2 else 1)
        x = np.asarray(project_partition(jnp.asarray(z, jnp.float32), jnp.asarray(blocks), jnp.asarray(caps)))
        u = jax.random.uniform(jax.random.PRNGKey(trial), (DRAWS, n - 1))
        masks = np.asarray(rounder(jnp.asarray(x), u, jnp.asarray(blocks), jnp.asarray(caps)))
        for b in range(B):
            assert np.all(masks[:, blocks == b].sum(1) == caps[b])
        check_marginals(masks, x)


def test_expected_submodular_value_at_least_multilinear():
    """E f(S) >= F(x) for a coverage function (pipage steps are convex moves for F)."""
    rng = np.random.default_rng(3)
    n, m, k = 7, 10, 3
    A = rng.uniform(size=(n, m)) < 0.35
    w = rng.uniform(size=m)

    def f(mask):
        return float(w @ (A[mask].any(0))) if mask.any() else 0.0

    def F(x):
        return float(w @ (1 - np.prod(1 - x[:, None] * A, axis=0)))

    rounder = jax.jit(jax.vmap(dependent_round_uniform, in_axes=(None, 0, None)))
    for trial in range(4):
        x = random_base_point(rng, n, k, trial + 2)
        masks = np.asarray(rounder(jnp.asarray(x), jax.random.uniform(jax.random.PRNGKey(trial), (DRAWS, n - 1)), k))
        # exact E f(S) from the empirical distribution over the C(7,3) = 35 bases
        keys, counts = np.unique(masks, axis=0, return_counts=True)
        ef = sum(c * f(kk) for kk, c in zip(keys, counts)) / DRAWS
        assert ef >= F(x.astype(float)) - 4 * np.sqrt(np.var([f(mm) for mm in masks[:2000]]) / DRAWS)
