"""Lower confidence bounds on the mean task times (paper Section 6).

Notation: worker i has been observed on K_i tasks with total time T_i, so
mu_hat_i = T_i / K_i; k is the 1-based index of the round being allocated.
An unsampled worker (K_i = 0) gets s_i = -inf (confidence radius +inf).
"""
from __future__ import annotations

import math

import jax.numpy as jnp


def _radius(counts, k):
    """sqrt(ln(2k^2)/K_i) + ln(2k^2)/K_i."""
    log_term = jnp.log(2.0) + 2.0 * jnp.log(k)
    ratio = log_term / jnp.maximum(counts, 1)
    return jnp.sqrt(ratio) + ratio


def ata_lcb(totals, counts, k, alpha: float):
    """Eq. (7): s_i = (mu_hat_i - 4 e alpha (sqrt(ln(2k^2)/K_i) + ln(2k^2)/K_i))_+ ,  alpha >= max ||X_i||_psi1."""
    mean_hat = totals / jnp.maximum(counts, 1)
    s = jnp.maximum(mean_hat - 4.0 * math.e * alpha * _radius(counts, k), 0.0)
    return jnp.where(counts > 0, s, -jnp.inf)


def xi_from_eta(eta: float) -> float:
    """xi = (1 + sqrt(4 eta^2 + 5)) / 2 (eta = 1 gives xi = 2)."""
    return (1.0 + math.sqrt(4.0 * eta * eta + 5.0)) / 2.0


def ata_empirical_lcb(totals, counts, k, eta: float):
    """Eq. (8): s_hat_i = mu_hat_i [1 - 4 e xi (sqrt(ln(2k^2)/K_i) + ln(2k^2)/K_i)]_+ ,  eta >= max sigma_i/mu_i."""
    mean_hat = totals / jnp.maximum(counts, 1)
    s = mean_hat * jnp.maximum(1.0 - 4.0 * math.e * xi_from_eta(eta) * _radius(counts, k), 0.0)
    return jnp.where(counts > 0, s, -jnp.inf)
