"""Tracking rules (spec section 6; Garivier & Kaufmann 2016, section 3.1). Ties go to the lowest index.

C-tracking (the paper's):   eps_t = 1 / (2 sqrt(K^2 + t)),   w~_t = (1 - K eps_t) w_t + eps_t 1
                            (a mixture with the uniform allocation that puts >= eps_t on every arm,
                            as GK16's projection onto Delta^eps does; K eps_t <= 1/2),
                            S_t = S_{t-1} + w~_t,   a_t = argmin_a (N_a - S_{t,a}).
D-tracking (code option):   a_t = argmin_a N_a        if some N_a < sqrt(t) - K/2   (forced exploration)
                                  argmin_a (N_a - t w_a)  otherwise.
``t`` is the 1-based index of the round being played.
"""
from __future__ import annotations

import jax.numpy as jnp


def c_tracking(cum, counts, omega, t):
    """(arm, new cumulative sum S_t) for allocation ``omega`` at round t (1-based)."""
    K = omega.shape[-1]
    tf = jnp.asarray(t, omega.dtype)
    eps = 0.5 / jnp.sqrt(K * K + tf)
    mixed = (1.0 - K * eps) * omega + eps
    cum = cum + mixed
    arm = jnp.argmin(counts.astype(omega.dtype) - cum)
    return arm.astype(jnp.int32), cum


def d_tracking(counts, omega, t):
    """Arm chosen by D-tracking with forced exploration at round t (1-based)."""
    K = omega.shape[-1]
    n = counts.astype(omega.dtype)
    tf = jnp.asarray(t, omega.dtype)
    under = n < jnp.sqrt(tf) - K / 2.0
    forced = jnp.argmin(n)
    tracked = jnp.argmin(n - tf * omega)
    return jnp.where(under.any(), forced, tracked).astype(jnp.int32)
