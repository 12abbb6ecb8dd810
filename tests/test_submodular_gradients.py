"""Closed-form multilinear gradients against autodiff of the multilinear extension, exact zeros included."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.submodular.instances import FastCoverage


@pytest.mark.parametrize("n,m", [(1, 3), (6, 10)])
def test_fast_coverage_gradient_equals_autodiff(n, m):
    rng = np.random.default_rng(n * 100 + m)
    trials = 300
    probs = (rng.uniform(size=(trials, n, m)) < 0.5) * np.where(rng.uniform(size=(trials, n, m)) < 0.5, 1.0,
                                                                rng.uniform(size=(trials, n, m)))
    w = rng.uniform(size=(trials, m))
    x = rng.choice([0.0, 0.3, 1.0, 0.77], size=(trials, n))  # x_i = 1 with P_iu = 1: exact zeros of q
    with jax.enable_x64(True):
        def both(p, w, x):
            f = FastCoverage(p, w / w.sum())
            return f.gradient(x), jax.grad(f.multilinear)(x)

        got, want = jax.jit(jax.vmap(both))(jnp.asarray(probs), jnp.asarray(w), jnp.asarray(x))
    assert np.mean(np.any(x[:, :, None] * probs == 1.0, axis=(1, 2))) > 0.1  # many trials with exact zeros
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)
