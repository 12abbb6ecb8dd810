"""The sort-free uniform / partition projections Algorithm 6 uses equal the sorted reference (projections.py)."""
import jax
import jax.numpy as jnp
import numpy as np

from bandits.submodular.fast_projection import project_partition_pairwise, project_uniform_pairwise
from bandits.submodular.projections import project_partition, project_uniform


def test_pairwise_uniform_projection_equals_the_sorted_one():
    rng = np.random.default_rng(0)
    ref, fast = jax.jit(project_uniform), jax.jit(project_uniform_pairwise)  # k traced: one compile per n
    for _ in range(120):
        n = int(rng.choice([1, 6, 20]))
        k = int(rng.integers(1, n + 1))
        z = rng.normal(size=n) * rng.choice([0.1, 1.0, 5.0, 30.0])
        if rng.uniform() < 0.3:
            z[rng.uniform(size=n) < 0.3] = -np.inf
        if rng.uniform() < 0.2:
            z = np.round(z)  # ties
        if not np.isfinite(z).any():
            continue
        a = np.asarray(ref(jnp.asarray(z, jnp.float32), k))
        b = np.asarray(fast(jnp.asarray(z, jnp.float32), k))
        np.testing.assert_allclose(b, a, atol=5e-5)


def test_pairwise_partition_projection_equals_the_sorted_one():
    rng = np.random.default_rng(1)
    blocks, caps = np.array([0, 1, 0, 1, 2, 2, 0, 1, 2]), np.array([2, 1, 2])
    ref = jax.jit(lambda z: project_partition(z, blocks, caps))
    fast = jax.jit(lambda z: project_partition_pairwise(z, blocks, caps))
    for _ in range(50):
        z = jnp.asarray(rng.normal(size=9) * 3, jnp.float32)
        np.testing.assert_allclose(np.asarray(fast(z)), np.asarray(ref(z)), atol=5e-5)
