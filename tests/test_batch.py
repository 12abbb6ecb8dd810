"""Batch-level helpers of the core: a ``seeds_last`` kernel equals its per-seed form."""
import jax
import jax.numpy as jnp
import numpy as np

from bandits.core.batch import seeds_last


def test_seeds_last_kernel_equals_the_per_seed_function_alone_nested_and_unbatched_arguments():
    """A kernel with reductions over leading axes, an unbatched argument and a batch-wide trip count: under vmap
    (the batch moved last) each seed gets what it gets alone; nested vmaps and a vmap over only some arguments
    work too."""
    @seeds_last
    def kernel(s, idx):
        outer = (s[None, :] < s[:, None]).astype(jnp.int32)  # [i, j]
        rank = outer.sum(axis=1)
        steps = jnp.max(rank)  # over the batch too: a trip count, the same result for every seed
        acc = jax.lax.fori_loop(0, steps, lambda k, a: a + jnp.where(rank > k, s, 0.0), jnp.zeros_like(s))
        return acc * idx, s.sum(axis=0)

    rng = np.random.default_rng(1)
    s = rng.integers(0, 6, size=(5, 4, 7)).astype(np.float32)
    idx = np.arange(7, dtype=np.float32)
    alone = [[kernel(s[a, b], idx) for b in range(4)] for a in range(5)]
    flat = jax.jit(jax.vmap(kernel, in_axes=(0, None)))(s[0], idx)
    nested = jax.jit(jax.vmap(jax.vmap(kernel, in_axes=(0, None)), in_axes=(0, None)))(s, idx)
    for b in range(4):
        for k in range(2):
            np.testing.assert_array_equal(np.asarray(flat[k][b]), np.asarray(alone[0][b][k]))
    for a in range(5):
        for b in range(4):
            for k in range(2):
                np.testing.assert_array_equal(np.asarray(nested[k][a, b]), np.asarray(alone[a][b][k]))
