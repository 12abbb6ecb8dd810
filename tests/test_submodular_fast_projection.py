"""The sort-free uniform / partition projections Algorithm 6 uses equal the sorted reference (projections.py)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.submodular.fast_projection import project_partition_top, project_uniform_top
from bandits.submodular.projections import project_partition, project_uniform


def _instances(rng, count):
    """Random logits with -inf entries, ties (rounded logits) and spreads up to e^±90 (the lazy iterate's range)."""
    for _ in range(count):
        n = int(rng.choice([1, 6, 20]))
        z = rng.normal(size=n) * rng.choice([0.1, 1.0, 5.0, 30.0])
        if rng.uniform() < 0.3:
            z[rng.uniform(size=n) < 0.3] = -np.inf
        if rng.uniform() < 0.3:
            z = np.round(z)  # ties
        if rng.uniform() < 0.2:
            z[0] = z[-1] = np.max(np.where(np.isfinite(z), z, -np.inf))  # ties at the top
        if np.isfinite(z).any():
            yield n, z


def test_top_uniform_projection_equals_the_sorted_one():
    rng = np.random.default_rng(0)
    ref = jax.jit(project_uniform)  # k traced: one compile per n
    fast = jax.jit(project_uniform_top, static_argnums=1)
    seen_capped = 0
    for n, z in _instances(rng, 200):
        k = int(rng.integers(1, n + 1))
        a = np.asarray(ref(jnp.asarray(z, jnp.float32), k))
        b = np.asarray(fast(jnp.asarray(z, jnp.float32), k))
        np.testing.assert_allclose(b, a, atol=5e-5)
        seen_capped += np.sum(a == 1.0) < min(k, np.isfinite(z).sum()) and np.any(a == 1.0)
    assert seen_capped > 10  # instances where some but not all of the mass is capped at 1


@pytest.mark.parametrize("x64", [False, True])
def test_top_uniform_projection_with_a_traced_rank_below_the_bound(x64):
    """The partition projection runs every block with the largest capacity as the pass bound."""
    rng = np.random.default_rng(2)
    with jax.enable_x64(x64):
        dtype = jnp.float64 if x64 else jnp.float32
        fast = jax.jit(lambda z, k: project_uniform_top(z, 6, k))
        for n, z in _instances(rng, 120):
            k = int(rng.integers(1, min(n, 6) + 1))
            a = np.asarray(project_uniform(jnp.asarray(z, dtype), k))
            b = np.asarray(fast(jnp.asarray(z, dtype), k))
            np.testing.assert_allclose(b, a, atol=1e-9 if x64 else 5e-5)


def test_top_projection_far_apart_logits():
    """Uncapped entries e^-200 below the capped ones (float64): no overflow, the uncapped mass is rescaled."""
    with jax.enable_x64(True):
        z = jnp.asarray([0.0, -1.0, -200.0, -201.0, -202.0])
        np.testing.assert_allclose(np.asarray(project_uniform_top(z, 3)), np.asarray(project_uniform(z, 3)),
                                   atol=1e-12)
        assert np.asarray(project_uniform_top(z, 3))[:2].tolist() == [1.0, 1.0]


def test_top_partition_projection_equals_the_sorted_one():
    rng = np.random.default_rng(1)
    blocks, caps = np.array([0, 1, 0, 1, 2, 2, 0, 1, 2, 2]), np.array([2, 1, 3])
    ref = jax.jit(lambda z: project_partition(z, blocks, caps))
    fast = jax.jit(lambda z: project_partition_top(z, blocks, caps))
    for _ in range(60):
        z = rng.normal(size=10) * rng.choice([1.0, 3.0, 30.0])
        if rng.uniform() < 0.3:
            z = np.round(z)
        z = jnp.asarray(z, jnp.float32)
        np.testing.assert_allclose(np.asarray(fast(z)), np.asarray(ref(z)), atol=5e-5)
