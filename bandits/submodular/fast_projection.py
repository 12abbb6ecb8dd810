"""A sort-free KL projection onto the uniform-matroid base polytope B_k (same result as
``projections.project_uniform``), for small n: XLA-CPU's sort dominated Algorithm 6's round.

x_i = min(1, c y_i) with c > 0 such that Σ_i min(1, c y_i) = k. h(c) = Σ_j min(1, c y_j) is increasing
and piecewise linear with breakpoints c_i = 1 / y_i; h(1/y_i) = Σ_j min(1, y_j / y_i) is computed for every
i at once (an n x n matrix, O(n²) work, no sort). Let i* be the breakpoint with the largest h(1/y_i) <= k
(the smallest-y capped element): the capped set is {j : y_j >= y_i*}, m its size, and
c = (k - m) / Σ_{j uncapped} y_j. If no breakpoint has h <= k, nothing is capped: c = k / Σ_j y_j.
Computed with logits (ln y), shift-invariant, ratios exp(min(l_j - l_i, 0)) never overflow.
Entries with logit -inf stay 0; if k >= #finite entries, every finite entry is 1.
"""
from __future__ import annotations

import jax.numpy as jnp


def project_uniform_pairwise(logits, k):
    logits = jnp.asarray(logits)
    dtype = logits.dtype
    k = jnp.asarray(k, dtype)
    finite = jnp.isfinite(logits)
    n_finite = jnp.sum(finite).astype(dtype)
    top = jnp.max(jnp.where(finite, logits, -jnp.inf))
    lg = jnp.where(finite, logits - jnp.where(jnp.isfinite(top), top, 0.0), -jnp.inf)
    diff = lg[None, :] - jnp.where(finite, lg, 0.0)[:, None]  # [i, j] = l_j - l_i
    ratio = jnp.exp(jnp.minimum(diff, 0.0))  # min(1, y_j / y_i); 0 where l_j = -inf
    h = jnp.sum(ratio, axis=1)  # h(1 / y_i)
    ok = finite & (h <= k)
    # the largest valid h belongs to the smallest valid y: pick the valid i with the smallest logit
    istar_logit = jnp.min(jnp.where(ok, lg, jnp.inf))
    any_ok = jnp.any(ok)
    capped = any_ok & finite & (lg >= istar_logit)
    m = jnp.sum(capped).astype(dtype)
    unc = finite & ~capped
    lmax = jnp.max(jnp.where(unc, lg, -jnp.inf))
    lmax = jnp.where(jnp.isfinite(lmax), lmax, 0.0)
    ysum = jnp.sum(jnp.where(unc, jnp.exp(lg - lmax), 0.0))  # ln Σ_unc y = lmax + ln ysum (no underflow)
    log_c = jnp.log(jnp.maximum(k - m, 0.0)) - lmax - jnp.log(jnp.maximum(ysum, jnp.finfo(dtype).tiny))
    x = jnp.where(capped, 1.0, jnp.minimum(1.0, jnp.exp(jnp.minimum(log_c + lg, 0.0))))
    x = jnp.where(finite, x, 0.0)
    return jnp.where(k >= n_finite, finite.astype(dtype), x)


def project_partition_pairwise(logits, blocks, caps):
    """``projections.project_partition`` with the sort-free per-block projection."""
    import jax

    logits = jnp.asarray(logits)
    blocks = jnp.asarray(blocks)
    caps = jnp.asarray(caps)
    if caps.shape[0] == 1:
        return project_uniform_pairwise(logits, caps[0])

    def one(b, k):
        mine = blocks == b
        return jnp.where(mine, project_uniform_pairwise(jnp.where(mine, logits, -jnp.inf), k), 0.0)

    return jnp.sum(jax.vmap(one)(jnp.arange(caps.shape[0]), caps.astype(logits.dtype)), axis=0)
