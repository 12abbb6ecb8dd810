"""KL projections (uniform, partition, quarter disc) and Lambert W against SciPy references,
on random small instances with ties, in float64 (inside ``jax.enable_x64``) and float32."""
import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize, special

from bandits.submodular.projections import (
    lambertw,
    lambertw_exp,
    project_partition,
    project_quarter_disc,
    project_quarter_disc_2d,
    project_uniform,
)


def kl(x, y):
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(x > 0, x * np.log(x / y), 0.0)
    return float(np.sum(t - x + y))


def scipy_kl_min(y, eq_groups, ball=False):
    """argmin D_KL(x, y) by SLSQP: 0 <= x <= 1, sum_{i in g} x_i = k_g, or |x|_2 <= 1 if ball.

    Full groups (k_g = |g|) are x_g = 1 and are removed first (SLSQP stalls on them)."""
    full = [g for g, k in eq_groups if k == len(g)]
    if full and not ball:
        keep = np.setdiff1d(np.arange(len(y)), np.concatenate(full))
        out = np.ones(len(y))
        if keep.size:
            pos = {i: j for j, i in enumerate(keep)}
            out[keep] = scipy_kl_min(y[keep], [(np.array([pos[i] for i in g]), k) for g, k in eq_groups if k < len(g)])
        return out
    n = len(y)
    eps = 1e-12
    fun = lambda x: float(np.sum(np.maximum(x, eps) * np.log(np.maximum(x, eps) / y) - x + y))  # noqa: E731
    jac = lambda x: np.log(np.maximum(x, eps) / y)  # noqa: E731
    cons = [{"type": "eq", "fun": (lambda x, g=g, k=k: np.sum(x[g]) - k),
             "jac": (lambda x, g=g: np.isin(np.arange(n), g).astype(float))} for g, k in eq_groups]
    if ball:
        cons.append({"type": "ineq", "fun": lambda x: 1.0 - x @ x, "jac": lambda x: -2 * x})
    bounds = [(0.0, None if ball else 1.0)] * n
    starts = [np.full(n, 0.5 / np.sqrt(n))] if ball else []
    for scale in ([] if ball else [0.5, 0.9]):  # feasible-ish interior starts (SLSQP may stall at one)
        x0 = np.zeros(n)
        for g, k in eq_groups:
            mix = scale * k / len(g) + (1 - scale) * y[g] / y[g].sum() * k
            x0[g] = k / len(g) if k == len(g) else np.clip(mix, 0, 1)
        starts.append(x0)
    best = None
    for x0 in starts:
        res = optimize.minimize(fun, x0, jac=jac, bounds=bounds, constraints=cons, method="SLSQP",
                                options={"ftol": 1e-15, "maxiter": 2000})
        feas = all(abs(np.sum(res.x[g]) - k) < 1e-8 for g, k in eq_groups) and (not ball or res.x @ res.x <= 1 + 1e-8)
        if feas and (best is None or fun(res.x) < fun(best)):
            best = res.x
    assert best is not None
    return best


def random_y(rng, n, trial):
    if trial % 3 == 0:  # ties: a few distinct values
        return rng.choice([0.1, 0.5, 1.0, 3.0], size=n)
    if trial % 3 == 1:  # wide dynamic range
        return np.exp(rng.uniform(-6, 6, size=n))
    return rng.uniform(0.05, 2.0, size=n)


def test_lambertw_matches_scipy():
    with jax.enable_x64(True):
        z = np.concatenate([np.linspace(-700, 700, 2001), [-1e-9, 0.0, 1e-9]])
        ref = np.real(special.lambertw(np.exp(np.minimum(z, 700)))).astype(float)
        got = np.asarray(jax.jit(lambertw_exp)(jnp.asarray(z)))
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-300)
        x = np.concatenate([[0.0], np.exp(np.linspace(-30, 30, 301))])
        np.testing.assert_allclose(np.asarray(lambertw(jnp.asarray(x))), np.real(special.lambertw(x)), rtol=1e-13)
        # huge arguments given in log space: w + ln w = z
        zz = jnp.asarray([1e3, 1e5, 1e8])
        w = np.asarray(lambertw_exp(zz))
        np.testing.assert_allclose(w + np.log(w), np.asarray(zz), rtol=1e-14)
    w32 = np.asarray(lambertw_exp(jnp.asarray(np.linspace(-80, 80, 161), jnp.float32)))
    assert w32.dtype == np.float32
    np.testing.assert_allclose(w32, np.real(special.lambertw(np.exp(np.linspace(-80, 80, 161)))), rtol=2e-6)


def test_uniform_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    proj = jax.jit(project_uniform)
    with jax.enable_x64(True):
        for trial in range(60):
            n = int(rng.integers(2, 9))
            k = int(rng.integers(1, n + 1))
            y = random_y(rng, n, trial)
            x = np.asarray(proj(jnp.log(jnp.asarray(y)), k))
            assert x.dtype == np.float64
            assert np.isclose(x.sum(), k, atol=1e-12) and x.min() >= 0 and x.max() <= 1 + 1e-15
            ref = scipy_kl_min(y, [(np.arange(n), k)])
            assert kl(x, y) <= kl(np.clip(ref, 0, 1), y) + 1e-9, (y, k, x, ref)
            np.testing.assert_allclose(x, ref, atol=2e-5)
            # ties in y give equal x; KKT form: x = min(1, c y)
            for a in range(n):
                for b in range(n):
                    if y[a] == y[b]:
                        assert x[a] == x[b]
            c = x[x < 1 - 1e-12] / y[x < 1 - 1e-12]
            if c.size:
                assert np.allclose(c, c[0]) and np.all(c[0] * y[x >= 1 - 1e-12] >= 1 - 1e-9)


def test_uniform_is_shift_invariant_and_overflow_free():
    """Dual averaging feeds logits of size ~ sqrt(t): the result depends only on differences."""
    rng = np.random.default_rng(1)
    z = rng.normal(size=12).astype(np.float32)
    base = np.asarray(project_uniform(jnp.asarray(z), 4))
    for shift in [-100.0, 60.0]:  # float32 input quantisation of z + shift is ~ 1e-5
        np.testing.assert_allclose(np.asarray(project_uniform(jnp.asarray(z + shift), 4)), base, atol=5e-5)
    with jax.enable_x64(True):
        z64 = jnp.asarray(z, jnp.float64)
        base64 = np.asarray(project_uniform(z64, 4))
        for shift in [-1e4, 1e5]:
            np.testing.assert_allclose(np.asarray(project_uniform(z64 + shift, 4)), base64, atol=1e-10)
    big = np.zeros(12, np.float32)
    big[0] = 1000.0  # y_0 / y_i = e^1000: capped at 1, rest share k - 1 equally
    x = np.asarray(project_uniform(jnp.asarray(big), 3))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [1.0] + [2 / 11] * 11, rtol=1e-4)  # float32 ulp of 1000 is 6e-5
    # y_i = 0 entries stay 0; k >= #positive makes every positive entry 1
    z2 = jnp.asarray([0.0, -jnp.inf, 1.0, -jnp.inf])
    np.testing.assert_allclose(np.asarray(project_uniform(z2, 2)), [1, 0, 1, 0])
    np.testing.assert_allclose(np.asarray(project_uniform(z2, 1)), [1 / (1 + np.e), 0, np.e / (1 + np.e), 0], rtol=1e-6)
    # traced k under vmap
    ks = jnp.arange(1, 12)
    xs = np.asarray(jax.vmap(lambda k: project_uniform(jnp.asarray(z), k))(ks))
    np.testing.assert_allclose(xs.sum(1), np.arange(1, 12), rtol=1e-5)


def test_partition_matches_scipy():
    rng = np.random.default_rng(2)
    proj, uniform = jax.jit(project_partition), jax.jit(project_uniform)
    with jax.enable_x64(True):
        for trial in range(30):
            n = int(rng.choice([4, 8]))  # two sizes (each (n, B) compiles once), random blocks and caps
            B = int(rng.integers(1, 4))
            blocks = np.sort(rng.integers(0, B, size=n))
            blocks[:B] = np.arange(B)  # every block non-empty
            rng.shuffle(blocks)
            caps = np.array([int(rng.integers(1, np.sum(blocks == b) + 1)) for b in range(B)])
            y = random_y(rng, n, trial)
            x = np.asarray(proj(jnp.log(jnp.asarray(y)), jnp.asarray(blocks), jnp.asarray(caps)))
            for b in range(B):
                assert np.isclose(x[blocks == b].sum(), caps[b], atol=1e-12)
                alone = uniform(jnp.log(jnp.asarray(y[blocks == b])), caps[b])
                np.testing.assert_allclose(x[blocks == b], np.asarray(alone), atol=1e-14)
            ref = scipy_kl_min(y, [(np.flatnonzero(blocks == b), caps[b]) for b in range(B)])
            assert kl(x, y) <= kl(np.clip(ref, 0, 1), y) + 1e-9
            np.testing.assert_allclose(x, ref, atol=2e-5)


def test_quarter_disc_matches_scipy():
    rng = np.random.default_rng(3)
    proj = jax.jit(project_quarter_disc)
    with jax.enable_x64(True):
        for trial in range(60):
            n = [2, 2, 3, 5][trial % 4]
            y = random_y(rng, n, trial) * rng.choice([0.3, 1.0, 5.0])
            if trial % 7 == 0:
                y = np.full(n, 0.9)  # exact ties
            x = np.asarray(proj(jnp.log(jnp.asarray(y))))
            assert x.min() >= 0 and x @ x <= 1 + 1e-12
            if y @ y <= 1:
                np.testing.assert_allclose(x, y, rtol=1e-15)
                continue
            assert np.isclose(x @ x, 1.0, atol=1e-12)
            ref = scipy_kl_min(y, [], ball=True)
            assert kl(x, y) <= kl(ref, y) + 1e-9, (y, x, ref)
            np.testing.assert_allclose(x, ref, atol=5e-5)
            # KKT: ln(x_i / y_i) = -2 lambda x_i with one lambda > 0
            lam = -np.log(x / y) / (2 * x)
            assert np.allclose(lam, lam[0], rtol=1e-8) and lam[0] > 0


def test_quarter_disc_extremes_float32():
    """Logits far outside the disc (long dual-averaging runs) and just outside it."""
    for z in [[300.0, 299.0], [-50.0, 80.0], [1e-4, -1e-4], [0.5 * np.log(0.5) + 1e-6] * 2, [40.0, 40.0]]:
        z = jnp.asarray(z, jnp.float32)
        x = np.asarray(project_quarter_disc(z))
        assert x.dtype == np.float32 and np.all(np.isfinite(x)) and x.min() >= 0
        assert abs(x @ x - 1) < 1e-5, (z, x)
    x = np.asarray(project_quarter_disc(jnp.asarray([40.0, 40.0], jnp.float32)))
    np.testing.assert_allclose(x, [2 ** -0.5] * 2, rtol=1e-6)


def test_quarter_disc_2d_equals_the_lambert_w_projection():
    """The Newton-on-the-arc projection the USM learners use equals the general one (and SciPy) in float64, on
    random logits over eight orders of spread, exact ties, zeros (logit -inf) and points just outside the disc."""
    rng = np.random.default_rng(7)
    z = rng.normal(size=(3000, 2)) * rng.choice([0.01, 0.3, 1.0, 5.0, 50.0, 300.0], size=(3000, 1))
    z[::11, 1] = z[::11, 0]  # ties
    z[::13] = 0.5 * np.log(0.5) + rng.uniform(-1e-6, 1e-6, size=(len(z[::13]), 2))  # on the arc's edge
    extremes = [[300.0, 299.0], [-50.0, 80.0], [1e-4, -1e-4], [40.0, 40.0], [0.3, -np.inf], [-np.inf, 2.0],
                [-np.inf, -np.inf], [-52.2, 123.6], [13.71, -40.59]]
    z = np.concatenate([z, extremes])
    with jax.enable_x64(True):
        want = np.asarray(jax.jit(jax.vmap(project_quarter_disc))(jnp.asarray(z)))
        got = np.asarray(jax.jit(jax.vmap(project_quarter_disc_2d))(jnp.asarray(z)))
        one = np.asarray(jax.jit(project_quarter_disc_2d)(jnp.asarray(z[5])))
    outside = np.logaddexp(2 * z[:, 0], 2 * z[:, 1]) > 0  # |y|_2 > 1
    assert outside.mean() > 0.3 and (~outside).mean() > 0.1
    assert np.all(np.isfinite(got)) and np.allclose(np.sum(got[outside] ** 2, axis=1), 1.0, atol=1e-12)
    assert np.sum(np.min(z, axis=1) < -745) > 0  # e^l underflows: W(e^l) = 0 (NaN before 2026-11-30)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(one, got[5])  # a vmapped element stops on its own test
    np.testing.assert_allclose(got[-5:], [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], want[-2, :], want[-1, :]], atol=1e-14)
    for y in np.exp(z[outside & (np.abs(z).max(axis=1) < 5)][:20]):
        ref = scipy_kl_min(y, [], ball=True)
        with jax.enable_x64(True):
            x = np.asarray(project_quarter_disc_2d(jnp.log(jnp.asarray(y))))
        assert kl(x, y) <= kl(ref, y) + 1e-9


def test_quarter_disc_2d_float32_extremes():
    """Both projections in float32, logits past exp's range included (-100: the Lambert-W one returned NaN
    before 2026-11-30, which froze USM learners on facility location minus cost), against float64."""
    for z in [[300.0, 299.0], [-50.0, 80.0], [1e-4, -1e-4], [0.5 * np.log(0.5) + 1e-6] * 2, [40.0, 40.0], [88.0, -88.0],
              [-100.15, 35.34], [3.16, -98.43]]:
        x = np.asarray(project_quarter_disc_2d(jnp.asarray(z, jnp.float32)))
        with jax.enable_x64(True):
            want = np.asarray(project_quarter_disc(jnp.asarray(z, jnp.float64)))
        assert x.dtype == np.float32 and np.all(np.isfinite(x)) and x.min() >= 0
        np.testing.assert_allclose(x, want, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(np.asarray(project_quarter_disc(jnp.asarray(z, jnp.float32))), want, rtol=1e-5,
                                   atol=1e-6)
