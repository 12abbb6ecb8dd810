"""Stopping thresholds beta(t, delta) (spec section 5; the GLR stops when Z_t > beta).

``paper``  (Appendix I, default)  beta = ln((1 + ln ln t) / delta),   ln ln t clipped below at 0
``gk16``   (Garivier-Kaufmann)    beta = ln((1 + ln t) / delta)
``code``   (authors' code)        beta = ln(2 (1 + ln t) / delta)
``theory`` (Theorem 5, S0 = K)    beta = sum_a 3 ln(1 + ln N_a) + K T((K ^ d + ln(1/delta)) / K)

Theorem 5 prints 3 S0 ln(1 + ln N_{a,t}) for the per-arm term without saying which
arm; its proof bounds sum_{a in I_pi} 3 ln(1 + ln N_a), so the sum over all arms is a
valid (and the tightest arm-free) choice. T is Kaufmann & Koolen's (2021) calibration
function (paper eqs. 30-31):

    T(x)     = 2 h~_{3/2}((h^{-1}(1 + x) + ln(pi^2 / 3)) / 2)
    h(u)     = u - ln u  (u >= 1),  h^{-1} its inverse on [1, inf) (fixed Newton steps)
    h~_z(x)  = exp(1 / h^{-1}(x)) h^{-1}(x)   if x >= h(1 / ln z),   z (x - ln ln z) else

The paper (eq. 31) prints the cut as x >= h^{-1}(1 / ln z); that makes h~ jump at the cut.
With x >= h(1 / ln z), i.e. h^{-1}(x) >= 1 / ln z, both branches meet (the second is the
tangent of the first there), as in Kaufmann & Koolen's definition: we use the continuous one.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

THRESHOLDS = ("paper", "gk16", "code", "theory")
NEWTON_STEPS = 30


def h_inverse(y):
    """u >= 1 with u - ln u = y (y >= 1), by Newton from u = y + ln y (monotone convergence)."""
    y = jnp.maximum(jnp.asarray(y), 1.0)
    u = y + jnp.log(y) + 1e-3  # right of the root: Newton on the convex h then decreases monotonically
    for _ in range(NEWTON_STEPS):
        u = jnp.maximum(u - (u - jnp.log(u) - y) / (1.0 - 1.0 / u), 1.0)
    return u


def h_tilde(x, z: float = 1.5):
    """h~_z(x), eq. (31)."""
    x = jnp.asarray(x)
    hx = h_inverse(x)
    u0 = 1.0 / math.log(z)
    cut = u0 - math.log(u0)  # h(1 / ln z)
    return jnp.where(x >= cut, jnp.exp(1.0 / hx) * hx, z * (x - math.log(math.log(z))))


def calibration(x):
    """Kaufmann-Koolen T(x), eq. (30)."""
    x = jnp.asarray(x)
    return 2.0 * h_tilde((h_inverse(1.0 + x) + math.log(math.pi**2 / 3.0)) / 2.0)


def kaufmann_koolen(counts, delta, per_arm: int = 1):
    """sum over the m = K per_arm coordinates of 3 ln(1 + ln N_k) + m T(ln(1/delta) / m) (Kaufmann & Koolen 2021,
    Theorem 7 with their per-coordinate counts): the GLR threshold of m Gaussian coordinates, the d + 1 of arm
    a (its reward and its d costs) all observed N_a times. The ``joint`` threshold of spec section 11."""
    counts = jnp.asarray(counts)
    dtype = jnp.result_type(float, delta)
    n = jnp.maximum(counts.astype(dtype), 1.0)
    m = counts.shape[-1] * per_arm
    return per_arm * 3.0 * jnp.log1p(jnp.log(n)).sum(-1) + m * calibration(-jnp.log(jnp.asarray(delta, dtype)) / m)


def threshold(name: str, t, delta, counts=None, d: int = 0):
    """beta(t, delta). ``t``: rounds played so far; ``counts`` (pull counts N) and ``d`` for ``theory``."""
    t = jnp.asarray(t)
    dtype = jnp.result_type(float, t)
    t = t.astype(dtype)
    delta = jnp.asarray(delta, dtype)
    log_t = jnp.log(jnp.maximum(t, 1.0))
    if name == "paper":
        return jnp.log((1.0 + jnp.log(jnp.maximum(log_t, 1.0))) / delta)
    if name == "gk16":
        return jnp.log((1.0 + log_t) / delta)
    if name == "code":
        return jnp.log(2.0 * (1.0 + log_t) / delta)
    if name == "theory":
        if counts is None:
            raise ValueError("the 'theory' threshold needs the pull counts")
        n = jnp.maximum(jnp.asarray(counts).astype(dtype), 1.0)
        K = n.shape[-1]
        per_arm = 3.0 * jnp.log1p(jnp.log(n)).sum(-1)
        return per_arm + K * calibration((min(K, d) - jnp.log(delta)) / K)
    raise ValueError(f"unknown threshold {name!r}; valid choices: {', '.join(THRESHOLDS)}")
