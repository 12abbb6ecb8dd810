"""Confidence bounds of M-LCB (spec section 3; paper Definition 1, Lemmas 6-7).

Notation: K experts; expert i has had n = N_i training sessions; its running
loss L_hat_i = (1/n) sum_{k<=n} l(raw advice of i at session k, z) is the mean
of the raw losses it suffered while training; delta is the overall confidence
level; R_i(n, delta) is its anytime regret bound (Assumption 2, see
``RegretBound``). An untrained expert (n = 0) has LCB = -BIG and UCB = +BIG
(finite sentinels for -inf / +inf: sums and comparisons stay well defined).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

BIG = 1e30  # |sentinel| of an untrained expert's bounds


class RegretBound(NamedTuple):
    """R_i(n, delta) = scale_i * n^exponent_i * ln(e (n + 1) / delta)^log_power_i, one entry per expert."""

    scale: jax.Array  # [K]
    exponent: jax.Array  # [K]
    log_power: jax.Array  # [K] (0: a deterministic bound, e.g. OGD)


def anytime_regret(bound: RegretBound, n, delta):
    """Assumption 2: R_i(n, delta) = scale_i n^a_i ln(e (n+1)/delta)^p_i ;  R_i(0, .) = 0.

    OGD (eta_k = D/(G sqrt k)): scale 1.5 G D, a = 1/2, p = 0.
    """
    n = jnp.asarray(n)
    nf = jnp.maximum(n, 1).astype(jnp.result_type(float))
    log_term = jnp.log(math.e * (nf + 1.0) / delta)
    r = bound.scale * nf ** bound.exponent * log_term ** bound.log_power
    return jnp.where(n > 0, r, 0.0)


def delta_n(n, num_experts: int, delta):
    """delta_n = 2 delta / (pi^2 K n^2)   (so that sum_i sum_{n>=1} delta_n = delta / 3)."""
    nf = jnp.maximum(jnp.asarray(n), 1).astype(jnp.result_type(float))
    return 2.0 * delta / (math.pi ** 2 * num_experts * nf * nf)


def log_inv_delta_n(n, num_experts: int, delta):
    """ln(1/delta_n) = ln(pi^2 K n^2 / (2 delta)), computed in log space (no underflow of delta_n)."""
    nf = jnp.maximum(jnp.asarray(n), 1).astype(jnp.result_type(float))
    return math.log(math.pi ** 2 * num_experts / (2.0 * delta)) + 2.0 * jnp.log(nf)


def beta(n, num_experts: int, delta):
    """beta(n) = sqrt(ln(1/delta_n) / (2n))   (Hoeffding radius of a mean of n losses in [0, 1])."""
    nf = jnp.maximum(jnp.asarray(n), 1).astype(jnp.result_type(float))
    return jnp.sqrt(log_inv_delta_n(n, num_experts, delta) / (2.0 * nf))


def lcb(mean, n, regret, num_experts: int, delta, c=1.0, c_R=1.0):
    """LCB_i = L_hat_i - c_R R_i(n, delta/(3K)) / n - c beta(n);  -BIG when n = 0.

    ``regret`` is R_i(n, delta/(3K)) (``anytime_regret(bound, n, delta / (3 K))``).
    """
    nf = jnp.maximum(n, 1).astype(mean.dtype)
    value = mean - c_R * regret / nf - c * beta(n, num_experts, delta)
    return jnp.where(n > 0, value, -BIG)


def ucb(mean, n, num_experts: int, delta, c=1.0):
    """UCB_i = L_hat_i + c beta(n);  +BIG when n = 0."""
    return jnp.where(n > 0, mean + c * beta(n, num_experts, delta), BIG)


def sn_lambda(n, num_experts: int, delta):
    """Section 3.1: lambda_n = ln(1/delta_n) + ln(ceil(log2 n) + 1)."""
    nf = jnp.maximum(jnp.asarray(n), 1).astype(jnp.result_type(float))
    # ceil(log2 n) by integer arithmetic on n >= 1: bit length of n - 1
    nm1 = jnp.maximum(jnp.asarray(n), 1).astype(jnp.int32) - 1
    ceil_log2 = 32 - jax.lax.clz(nm1)
    return log_inv_delta_n(n, num_experts, delta) + jnp.log(ceil_log2.astype(nf.dtype) + 1.0)


def sn_lcb(mean, n, regret, num_experts: int, delta, c=1.0, c_R=1.0):
    """Section 3.1: LCB_i = ([sqrt(S_+ + r^2) - r]_+)^2,  S = L_hat - c_R R/n,  r = c sqrt(lambda_n / n);  -BIG at n = 0.

    c scales the radius r (c = 1: the spec's bound; c = 0.1: M-FLCB's scaling).
    """
    nf = jnp.maximum(n, 1).astype(mean.dtype)
    s = jnp.maximum(mean - c_R * regret / nf, 0.0)
    r = c * jnp.sqrt(sn_lambda(n, num_experts, delta) / nf)
    value = jnp.maximum(jnp.sqrt(s + r * r) - r, 0.0) ** 2
    return jnp.where(n > 0, value, -BIG)


def sn_ucb(mean, n, num_experts: int, delta, c=1.0):
    """Section 3.1: UCB_i = (sqrt(L_hat + r^2) + r)^2,  r = c sqrt(lambda_n / n);  +BIG at n = 0."""
    nf = jnp.maximum(n, 1).astype(mean.dtype)
    r = c * jnp.sqrt(sn_lambda(n, num_experts, delta) / nf)
    value = (jnp.sqrt(jnp.maximum(mean, 0.0) + r * r) + r) ** 2
    return jnp.where(n > 0, value, BIG)


BOUNDS = ("hoeffding", "self_normalized")


def bounds(kind: str, mean, n, bound: RegretBound, delta, c=1.0, c_R=1.0):
    """(LCB [K], UCB [K]) of the chosen kind; R_i is evaluated at delta / (3K)."""
    K = mean.shape[-1]
    regret = anytime_regret(bound, n, delta / (3.0 * K))
    if kind == "hoeffding":
        return lcb(mean, n, regret, K, delta, c, c_R), ucb(mean, n, K, delta, c)
    if kind == "self_normalized":
        return sn_lcb(mean, n, regret, K, delta, c, c_R), sn_ucb(mean, n, K, delta, c)
    raise ValueError(f"unknown bounds {kind!r}; valid choices: {', '.join(BOUNDS)}")
