"""The core's k-smallest selections against brute force (a stable sort), on random rows with many ties."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.core.selection import first_k, smallest_k, smallest_k_mask


def _rows(rng, count, n):
    """Rows drawn from a few values (ties everywhere), with +-inf and repeated extremes now and then."""
    vals = np.array([-np.inf, -1e30, -1.0, 0.0, 0.25, 0.25, 1.0, 1e30, np.inf], np.float32)
    return vals[rng.integers(0, len(vals), size=(count, n))]


@pytest.mark.parametrize("n", [1, 2, 4, 7, 12])
def test_smallest_k_mask_is_stable_sort_prefix(n):
    rng = np.random.default_rng(n)
    x = _rows(rng, 400, n)
    for k in range(1, n + 1):
        mask = np.asarray(jax.vmap(lambda r: smallest_k_mask(r, k))(jnp.asarray(x)))
        want = np.zeros_like(mask)
        np.put_along_axis(want, np.argsort(x, axis=1, kind="stable")[:, :k], True, axis=1)
        np.testing.assert_array_equal(mask, want)
        _, idx = jax.vmap(lambda r: smallest_k(r, k))(jnp.asarray(x))
        top = np.zeros_like(mask)
        np.put_along_axis(top, np.asarray(idx), True, axis=1)
        np.testing.assert_array_equal(mask, top)  # the same set as XLA's TopK


def test_smallest_k_mask_priority_breaks_ties_then_index():
    rng = np.random.default_rng(7)
    n = 6
    x = _rows(rng, 500, n)
    pr = rng.integers(0, 3, size=(500, n)).astype(np.float32)  # ties in the priority too
    for k in (1, 3, 5):
        mask = np.asarray(jax.vmap(lambda r, p: smallest_k_mask(r, k, p))(jnp.asarray(x), jnp.asarray(pr)))
        order = np.lexsort((np.arange(n)[None, :].repeat(500, 0), pr, x), axis=1)  # x, then priority, then index
        want = np.zeros_like(mask)
        np.put_along_axis(want, order[:, :k], True, axis=1)
        np.testing.assert_array_equal(mask, want)


def test_smallest_k_mask_rejects_bad_k():
    with pytest.raises(ValueError, match=r"k must be in \[1, 3\]"):
        smallest_k_mask(jnp.zeros(3), 4)


@pytest.mark.parametrize("n", [1, 5, 352, 1365])
def test_first_k_is_a_stable_argsort_of_the_negated_mask(n):
    """The True indices in order, then the False ones: against NumPy's stable argsort, all-True/all-False rows
    and every k at small n."""
    rng = np.random.default_rng(n)
    masks = rng.random((64, n)) < rng.random((64, 1))
    masks[0], masks[1] = True, False
    fn = jax.jit(jax.vmap(first_k, in_axes=(0, None)), static_argnums=1)
    for k in sorted({1, min(n, 8), n} | (set(range(1, n + 1)) if n <= 5 else set())):
        got = np.asarray(fn(jnp.asarray(masks), k))
        want = np.argsort(~masks, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.int32
    with pytest.raises(ValueError, match=r"k must be in \[1, "):
        first_k(jnp.zeros(n, bool), n + 1)
