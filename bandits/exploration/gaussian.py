"""Gaussian closed forms (Theorem 4, Proposition 1, Theorem 5) and the confidence shift (section 2).

Notation: arm a has variance sigma_a^2 (``sigma2``); pi is the current best
vertex pi_t, u ranges over the alternative vertices (rows of ``U`` with mask
``alt``), v_u = pi - u; omega is an allocation (or the pull counts N for the
GLR statistic); r >= 0 the slack of an r-good answer.

    gap_u      = mu^T v_u + r                         (epsilon-good sign convention)
    q_u(w)     = sum_a sigma_a^2 v_{u,a}^2 / w_a       (0/0 = 0; v_{u,a} != 0 = w_a gives +inf)
    G_u(w)     = (gap_u)_+^2 / (2 q_u(w))
    D(w)       = min_u G_u(w)                          (+inf if there is no alternative)
    lambda     = mu - (gap_{u*}/q_{u*}) sigma^2 * v_{u*} / w,  u* = argmin_u G_u(w)   (best response)

The paper prints (r - mu^T v)^2 in Theorem 4, which contradicts its own
alternative set (6) {lambda : lambda^T(pi - u) < -r for some u}: the squared
distance of mu to that half-space is (mu^T v + r)^2 / (2 q). Spec section 4.
"""
from __future__ import annotations

import jax.numpy as jnp


def gaps(mu, pi, U, r=0.0):
    """gap_u = mu^T (pi - u) + r for every row u of U [M, K]."""
    return (pi[None, :] - U) @ mu + r


def q_values(sigma2, V, omega):
    """q_u(omega) = sum_a sigma_a^2 v_{u,a}^2 / omega_a for rows v_u of V [M, K]."""
    num = sigma2[None, :] * V * V
    pos = omega[None, :] > 0
    safe = jnp.where(pos, omega[None, :], 1.0)
    terms = jnp.where(num > 0, jnp.where(pos, num / safe, jnp.inf), 0.0)
    return terms.sum(axis=-1)


def g_values(mu, sigma2, pi, U, omega, r=0.0):
    """G_u(omega) = (gap_u)_+^2 / (2 q_u(omega)) [M] (0 where q = inf; +inf where q = 0 < gap)."""
    gap = jnp.maximum(gaps(mu, pi, U, r), 0.0)
    q = q_values(sigma2, pi[None, :] - U, omega)
    safe = jnp.where((q > 0) & jnp.isfinite(q), q, 1.0)
    val = gap * gap / (2.0 * safe)
    val = jnp.where(jnp.isinf(q), 0.0, val)
    return jnp.where(q == 0, jnp.where(gap > 0, jnp.inf, 0.0), val)


def min_g(mu, sigma2, pi, U, alt, omega, r=0.0):
    """D(omega) = min over alternatives u (mask ``alt``) of G_u(omega); +inf if none."""
    return jnp.min(jnp.where(alt, g_values(mu, sigma2, pi, U, omega, r), jnp.inf))


def glr(mu_hat, sigma2, pi, U, alt, counts, r=0.0):
    """Theorem 5: Z_t = min_u G_u(N), the closed form with omega := N (pull counts)."""
    return min_g(mu_hat, sigma2, pi, U, alt, counts.astype(mu_hat.dtype), r)


def best_response(mu, sigma2, pi, U, alt, omega, r=0.0):
    """Most confusing instance: (lambda [K], D(omega), index of u*).

    lambda = mu - (gap/q) sigma^2 v / omega on the support of omega (lambda_a = mu_a where
    omega_a = 0 or v_a = 0), the Gaussian projection of mu onto {lambda^T v_{u*} = -r}.
    """
    G = jnp.where(alt, g_values(mu, sigma2, pi, U, omega, r), jnp.inf)
    i = jnp.argmin(G)
    v = pi - U[i]
    gap = jnp.maximum(v @ mu + r, 0.0)
    q = q_values(sigma2, v[None, :], omega)[0]
    ratio = jnp.where((q > 0) & jnp.isfinite(q), gap / jnp.where(q > 0, q, 1.0), 0.0)
    step = jnp.where(omega > 0, sigma2 * v / jnp.where(omega > 0, omega, 1.0), 0.0)
    return mu - ratio * step, G[i], i


def confidence_radius(counts, delta, variant: str = "paper"):
    """f(t, delta) (paper eq. 2 with v = 1, Sigma_t = I + diag(N)):

    ``paper``: 1 + sqrt(1/2 ln(K/delta) + 1/4 sum_a ln(1 + N_a))     (log det Sigma_t)
    ``bound``: 1 + sqrt(1/2 ln(K/delta) + K/4 ln(1 + t/K))            (Lemma 3's upper bound f', t = sum N)
    """
    counts = jnp.asarray(counts)
    K = counts.shape[-1]
    n = counts.astype(jnp.result_type(float, delta))
    base = 0.5 * jnp.log(K / jnp.asarray(delta, n.dtype))
    if variant == "paper":
        return 1.0 + jnp.sqrt(base + 0.25 * jnp.log1p(n).sum(-1))
    if variant == "bound":
        return 1.0 + jnp.sqrt(base + 0.25 * K * jnp.log1p(n.sum(-1) / K))
    raise ValueError(f"unknown confidence radius variant {variant!r}; valid: paper, bound")


def shift(radius, pi_ref, counts):
    """c_t = f(t, delta) * ||pi_ref||_{Sigma_t^{-1}} = f * sqrt(sum_a pi_ref,a^2 / (1 + N_a))."""
    n = counts.astype(pi_ref.dtype)
    return radius * jnp.sqrt((pi_ref * pi_ref / (1.0 + n)).sum(-1))
