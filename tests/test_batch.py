"""Batch-level helpers of the core: ``seeds_last`` kernels and ``chain`` reductions equal their plain forms."""
import jax
import jax.numpy as jnp
import numpy as np

from bandits.core.batch import chain, seeds_last


def test_chain_is_the_sequential_reduction():
    rng = np.random.default_rng(0)
    x = (rng.exponential(size=(23, 50)) * 10.0 ** rng.integers(-3, 3, size=(23, 50))).astype(np.float32)
    seq = np.zeros(50, np.float32)
    for row in x:
        seq = (seq + row).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(chain(jnp.add, jnp.asarray(x), init=0.0)), seq)
    np.testing.assert_array_equal(np.asarray(chain(jnp.minimum, jnp.asarray(x.T), axis=1)), x.min(axis=0))


def test_seeds_last_kernel_equals_the_per_seed_function_alone_nested_and_unbatched_arguments():
    """A kernel with reductions over leading axes, an unbatched argument and a batch-wide trip count: under vmap
    (the batch moved last) each seed gets what it gets alone; nested vmaps and a vmap over only some arguments
    work too."""
    @seeds_last
    def kernel(s, idx):
        outer = (s[None, :] < s[:, None]).astype(jnp.int32)  # [i, j]
        rank = chain(jnp.add, outer, axis=1)
        steps = jnp.max(rank)  # over the batch too: a trip count, the same result for every seed
        acc = jax.lax.fori_loop(0, steps, lambda k, a: a + jnp.where(rank > k, s, 0.0), jnp.zeros_like(s))
        return acc * idx, chain(jnp.add, s, init=0.0)

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
