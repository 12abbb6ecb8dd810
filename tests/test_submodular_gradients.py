"""Closed-form multilinear gradients against autodiff of the multilinear extension, exact zeros included."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.submodular.instances import FastCoverage, SetCoverage


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


@pytest.mark.parametrize("n,m", [(1, 3), (6, 10), (12, 30)])
def test_set_coverage_gradient_and_value(n, m):
    """Plain coverage (the ``coverage`` family): the GEMM gradient equals autodiff of the product form, x_i = 1
    included (rounding level: it clamps x below 1), and f(S) equals the covered weight counted by brute force."""
    rng = np.random.default_rng(n * 7 + m)
    trials = 300
    probs = (rng.uniform(size=(trials, n, m)) < 0.3).astype(float)
    w = rng.uniform(size=(trials, m)) * (rng.uniform(size=(trials, m)) < 0.7)
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    x = rng.choice([0.0, 0.3, 1.0, 0.77, 1.0 - 1e-9], size=(trials, n))
    masks = rng.uniform(size=(trials, n)) < 0.4
    with jax.enable_x64(True):
        def both(p, w, x, mask):
            f = SetCoverage(p, w)
            return f.gradient(x), jax.grad(f.multilinear)(x), f.value(mask), FastCoverage(p, w).gradient(x)

        got, want, value, fast = jax.jit(jax.vmap(both))(*map(jnp.asarray, (probs, w, x, masks)))
    assert np.mean(np.any((x == 1.0)[:, :, None] & (probs == 1.0), axis=(1, 2))) > 0.1  # exact zeros of 1 - x P
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(got), np.asarray(fast), rtol=1e-10, atol=1e-12)
    brute = [sum(w[t, u] for u in range(m) if any(masks[t, i] and probs[t, i, u] for i in range(n)))
             for t in range(trials)]
    np.testing.assert_allclose(np.asarray(value), brute, rtol=1e-12, atol=1e-15)


def test_set_coverage_gradient_float32_far_from_exact_zero():
    """In float32 the clamp at 1 - 2^-24 is within float32 rounding of the float64 gradient."""
    rng = np.random.default_rng(5)
    probs = (rng.uniform(size=(20, 60)) < 0.2).astype(np.float32)
    w = rng.uniform(size=60).astype(np.float32)
    w /= w.sum()
    x = rng.choice([0.0, 0.5, 0.99, 1.0], size=(50, 20)).astype(np.float32)
    got = jax.vmap(SetCoverage(jnp.asarray(probs), jnp.asarray(w)).gradient)(jnp.asarray(x))
    with jax.enable_x64(True):
        want = jax.vmap(jax.grad(SetCoverage(jnp.asarray(probs, jnp.float64), jnp.asarray(w, jnp.float64)).multilinear))(
            jnp.asarray(x, jnp.float64))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("n,m", [(1, 2), (5, 4), (12, 9)])
def test_sorted_facility_location_equals_the_plain_family(n, m):
    """The stored-order facility location: value, F and the closed-form ∇F equal ``functions.FacilityLocation``
    (autodiff through its sort), with tied benefits, zero rows (a customer the adversary dropped) and x_i = 1."""
    from bandits.submodular import functions as fn
    from bandits.submodular.instances import SortedFacilityLocation

    rng = np.random.default_rng(n * 31 + m)
    trials = 200
    W = rng.choice([0.0, 0.25, 0.5, 1.0], size=(trials, m, n)) * (rng.uniform(size=(trials, m, n)) < 0.3)
    W = np.where(rng.uniform(size=(trials, m, n)) < 0.5, rng.uniform(size=(trials, m, n)), W)  # ties and zeros
    rows = rng.uniform(size=(trials, m)) < 0.8  # component weights of one round
    x = rng.choice([0.0, 0.3, 1.0, 0.77, 1.0 - 1e-9], size=(trials, n))
    masks = rng.uniform(size=(trials, n)) < 0.4
    with jax.enable_x64(True):
        def both(w, keep, x, mask):
            base = SortedFacilityLocation.of(w)
            f = base._replace(sorted=base.sorted * keep[:, None])  # as the family's ``apply``
            g = fn.FacilityLocation(w * keep[:, None])
            return (f.gradient(x), jax.grad(g.multilinear)(x), f.multilinear(x), g.multilinear(x), f.value(mask),
                    g.value(mask))

        out = [np.asarray(a) for a in jax.jit(jax.vmap(both))(*map(jnp.asarray, (W, rows.astype(float), x, masks)))]
    assert np.mean(np.any(x == 1.0, axis=1)) > 0.1
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out[2], out[3], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out[4], out[5], rtol=1e-12, atol=1e-15)
