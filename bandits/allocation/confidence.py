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


# A certificate that every score is 0 asks for this relative margin: it covers the roundings of the certificate
# and of the scores themselves (a few ulps, ~1e-7 in float32), so "certainly 0" is exact in either precision.
VANISH_MARGIN = 1e-4


def ata_lcb(totals, counts, k, alpha: float):
    """Eq. (7): s_i = (mu_hat_i - 4 e alpha (sqrt(ln(2k^2)/K_i) + ln(2k^2)/K_i))_+ ,  alpha >= max ||X_i||_psi1."""
    mean_hat = totals / jnp.maximum(counts, 1)
    s = jnp.maximum(mean_hat - 4.0 * math.e * alpha * _radius(counts, k), 0.0)
    return jnp.where(counts > 0, s, -jnp.inf)


def ata_lcb_vanishes(mean_bound, count_bound, k, alpha: float):
    """True only where eq. (7) is 0 for every worker with mu_hat_i <= mean_bound and K_i <= count_bound.

    The radius decreases in K_i, so s_i <= (mean_bound - 4 e alpha rad(count_bound, k))_+, and each rounding
    of eq. (7) is monotone: mean_bound <= 4 e alpha rad(count_bound, k) (1 - margin) makes every s_i exactly 0.
    """
    return mean_bound <= (1.0 - VANISH_MARGIN) * 4.0 * math.e * alpha * _radius(count_bound, k)


def xi_from_eta(eta: float) -> float:
    """xi = (1 + sqrt(4 eta^2 + 5)) / 2 (eta = 1 gives xi = 2)."""
    return (1.0 + math.sqrt(4.0 * eta * eta + 5.0)) / 2.0


def ata_empirical_lcb(totals, counts, k, eta: float):
    """Eq. (8): s_hat_i = mu_hat_i [1 - 4 e xi (sqrt(ln(2k^2)/K_i) + ln(2k^2)/K_i)]_+ ,  eta >= max sigma_i/mu_i."""
    mean_hat = totals / jnp.maximum(counts, 1)
    s = mean_hat * jnp.maximum(1.0 - 4.0 * math.e * xi_from_eta(eta) * _radius(counts, k), 0.0)
    return jnp.where(counts > 0, s, -jnp.inf)


def ata_empirical_lcb_vanishes(mean_bound, count_bound, k, eta: float):
    """True only where eq. (8) is 0 for every worker with K_i <= count_bound (any mean): 4 e xi rad >= 1."""
    del mean_bound
    return 4.0 * math.e * xi_from_eta(eta) * _radius(count_bound, k) * (1.0 - VANISH_MARGIN) >= 1.0
