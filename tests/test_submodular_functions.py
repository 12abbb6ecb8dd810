"""Function families: exact multilinear extensions (vs enumeration and sampling), gradients,
values in [0, 1], (monotone) submodularity by exhaustive checks, curvature decomposition."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.submodular import functions as fn

N = 6
ALL = np.array(list(itertools.product([0, 1], repeat=N)), bool)  # 64 masks


def families(key, n=N, dtype=jnp.float32):
    ks = jax.random.split(key, 8)
    return {
        "coverage": (fn.random_coverage(ks[0], n, 9, density=0.3, dtype=dtype), True),
        "prob_coverage": (fn.random_coverage(ks[1], n, 9, density=0.5, probabilistic=True, dtype=dtype), True),
        "facility": (fn.random_facility_location(ks[2], n, 5, sparsity=0.3, dtype=dtype), True),
        "concave_c0.3": (fn.random_concave_modular(ks[3], n, 3, 0.3, dtype=dtype), True),
        "concave_c1": (fn.random_concave_modular(ks[4], n, 3, 1.0, dtype=dtype), True),
        "er_cut": (fn.erdos_renyi_cut(ks[5], n, 0.5, weighted=True, dtype=dtype), False),
        "sbm_cut": (fn.sbm_cut(ks[6], (3, n - 3), 0.9, 0.2, dtype=dtype), False),
        "fl_minus_cost": (fn.random_fl_minus_cost(ks[7], n, 4, cost_scale=0.8, dtype=dtype), False),
    }


@jax.jit
def _values(f, masks):
    return jax.vmap(f.value)(masks)


def values(f, masks=ALL):
    return np.asarray(_values(f, jnp.asarray(masks)), float)


F_and_grad = jax.jit(jax.value_and_grad(lambda f, x: f.multilinear(x), argnums=1))


@jax.jit
def sampled_F_and_grad(f, x, u, u_grad):
    return fn.sampled_multilinear(f, x, u), fn.sampled_gradient(f, x, u_grad)


def _diminishing_return_quads():
    """Index arrays (S, S+i, T, T+i) for all S ⊆ T, i ∉ T."""
    quads = []
    for T in ALL:
        for S in ALL[np.all(ALL <= T, axis=1)]:
            for i in np.flatnonzero(~T):
                Si, Ti = S.copy(), T.copy()
                Si[i] = Ti[i] = True
                quads.append((index(S), index(Si), index(T), index(Ti)))
    return np.array(quads).T




def exact_F(vals, x):
    """F(x) = Σ_S f(S) Π_{i∈S} x_i Π_{i∉S} (1 - x_i) by enumeration."""
    probs = np.prod(np.where(ALL, x[None, :], 1 - x[None, :]), axis=1)
    return float(probs @ vals)


def index(mask):
    return int("".join("1" if b else "0" for b in mask), 2)


QUADS = _diminishing_return_quads()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_values_in_unit_interval_and_submodular(seed):
    for name, (f, monotone) in families(jax.random.PRNGKey(seed)).items():
        v = values(f)
        assert np.all(v >= -1e-7) and np.all(v <= 1 + 1e-6), name
        if monotone:
            assert abs(v[0]) < 1e-7, name  # f(∅) = 0
        # diminishing returns for all S ⊆ T, i ∉ T (exhaustive: 3^6 pairs x free i)
        s_, si, t_, ti = QUADS
        gain_s, gain_t = v[si] - v[s_], v[ti] - v[t_]
        assert np.all(gain_s >= gain_t - 1e-6), name
        if monotone:
            assert np.all(gain_t >= -1e-6), name


def test_coverage_and_facility_and_cut_match_definitions():
    rng = np.random.default_rng(0)
    fam = families(jax.random.PRNGKey(3))
    cov = fam["coverage"][0]
    P, w = np.asarray(cov.probs) > 0, np.asarray(cov.weights)
    fl = np.asarray(fam["facility"][0].weights)
    A = np.asarray(fam["er_cut"][0].adjacency)
    assert np.allclose(A, A.T) and np.all(np.diag(A) == 0)
    for _ in range(30):
        S = rng.uniform(size=N) < 0.5
        assert np.isclose(float(cov.value(S)), w @ P[S].any(0) if S.any() else 0.0, atol=1e-6)
        assert np.isclose(float(fam["facility"][0].value(S)), fl[:, S].max(1).mean() if S.any() else 0.0, atol=1e-6)
        cut = sum(A[u, v] for u in range(N) for v in range(u + 1, N) if S[u] != S[v])
        assert np.isclose(float(fam["er_cut"][0].value(S)), cut / A[np.triu_indices(N, 1)].sum(), atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_multilinear_extension_is_exact(seed):
    """Closed-form F equals the enumeration Σ_S f(S) P(S) (float64), incl. ties and 0/1 coordinates."""
    rng = np.random.default_rng(seed)
    with jax.enable_x64(True):
        for name, (f, _) in families(jax.random.PRNGKey(10 + seed), dtype=jnp.float64).items():
            v = values(f)
            for trial in range(8):
                x = rng.choice([0.0, 0.3, 0.3, 1.0, rng.uniform()], size=N) if trial % 2 else rng.uniform(size=N)
                F, g = F_and_grad(f, jnp.asarray(x))
                assert np.isclose(float(F), exact_F(v, x), atol=1e-12), name
                # gradient: ∂F/∂x_i = F(x | x_i = 1) - F(x | x_i = 0)
                g = np.asarray(g)
                for i in range(N):
                    hi, lo = x.copy(), x.copy()
                    hi[i], lo[i] = 1.0, 0.0
                    assert np.isclose(g[i], exact_F(v, hi) - exact_F(v, lo), atol=1e-10), (name, i, x)


@pytest.mark.slow  # statistical: Monte-Carlo estimates (make test-slow)
def test_multilinear_equals_sampled_estimate():
    """Exact F and ∇F against Monte-Carlo estimates at float32, n = 12 (no enumeration)."""
    rng = np.random.default_rng(4)
    S = 20000
    for name, (f, _) in families(jax.random.PRNGKey(5), n=12).items():
        x = jnp.asarray(rng.uniform(size=12), jnp.float32)
        u = jax.random.uniform(jax.random.PRNGKey(6), (S, 12))
        est, g_est = sampled_F_and_grad(f, x, u, u[:4000])
        F, g = F_and_grad(f, x)
        assert abs(float(est) - float(F)) < 5 * 0.5 / np.sqrt(S), name
        g_est, g = np.asarray(g_est), np.asarray(g)
        assert np.all(np.abs(g_est - g) < 5 / np.sqrt(4000) + 1e-6), (name, g, g_est)


_values_g = jax.jit(lambda f, masks: jax.vmap(fn.curvature_split(f, N).g_value)(masks))
_total_curvature = jax.jit(lambda f: fn.total_curvature(f, N))
_curvature_at = jax.jit(lambda f, m: fn.curvature_at(f, N, m))


def test_curvature_decomposition():
    with jax.enable_x64(True):
        for seed in range(3):
            for name, (f, monotone) in families(jax.random.PRNGKey(20 + seed), dtype=jnp.float64).items():
                if not monotone:
                    continue
                split = fn.curvature_split(f, N)
                ell = np.asarray(split.ell)
                g = np.asarray(_values_g(f, jnp.asarray(ALL)))
                v = values(f)
                full = np.ones(N, bool)
                for i in range(N):
                    wo = full.copy()
                    wo[i] = False
                    assert np.isclose(ell[i], v[-1] - v[index(wo)])
                assert np.all(ell >= -1e-12)
                np.testing.assert_allclose(g, v - ALL @ ell, atol=1e-12)
                # g monotone: g(V) - g(V - i) = 0 and every marginal >= 0
                for S in ALL:
                    for i in np.flatnonzero(~S):
                        Si = S.copy()
                        Si[i] = True
                        assert g[index(Si)] - g[index(S)] >= -1e-12, name
                x = jnp.asarray(np.random.default_rng(seed).uniform(size=N))
                assert np.isclose(float(split.g_multilinear(x)), exact_F(g, np.asarray(x)), atol=1e-12)
                c = float(_total_curvature(f))
                assert -1e-12 <= c <= 1 + 1e-12
                assert float(_curvature_at(f, jnp.asarray(full))) <= c + 1e-12


def test_concave_modular_curvature_is_tunable():
    """Total curvature ≈ c for many small weights; c = 0 is modular (curvature 0)."""
    with jax.enable_x64(True):
        n = 200
        prev = -1.0
        for c in [0.0, 0.25, 0.5, 0.75, 1.0]:
            f = fn.random_concave_modular(jax.random.PRNGKey(0), n, 2, c, dtype=jnp.float64)
            tc = float(jax.jit(fn.total_curvature, static_argnums=1)(f, n))
            assert abs(tc - c) < 0.05, (c, tc)
            assert tc > prev
            prev = tc
        f0 = fn.random_concave_modular(jax.random.PRNGKey(1), N, 3, 0.0, dtype=jnp.float64)
        v = values(f0)
        np.testing.assert_allclose(v, ALL @ np.asarray(fn.modular_part(f0, N)), atol=1e-12)


def test_vmap_over_instances_and_dtype():
    keys = jax.random.split(jax.random.PRNGKey(7), 5)
    stack = jax.vmap(lambda k: fn.random_coverage(k, 8, 10))(keys)
    masks = jnp.asarray(np.random.default_rng(0).uniform(size=(5, 8)) < 0.5)
    out = jax.vmap(lambda f, m: f.value(m))(stack, masks)
    assert out.shape == (5,) and out.dtype == jnp.float32
    f_2 = jax.tree.map(lambda a: a[2], stack)
    assert np.isclose(float(out[2]), float(f_2.value(masks[2])))
