"""A sort-free KL projection onto the uniform-matroid base polytope B_k (same result as
``projections.project_uniform``) for the rank-k learners of Algorithm 6: XLA-CPU's sort dominated its round.

With y = exp(logits) sorted decreasingly, y_(1) >= y_(2) >= ..., the projection caps the m largest
coordinates at 1 and scales the rest, x_i = min(1, c_m y_i), c_m = (k - m) / Σ_{j>m} y_(j), for the
smallest m in {0, ..., k-1} with c_m y_(m+1) <= 1 (``projections.project_uniform``). Only the k largest
coordinates can be capped, so only they need an order: k passes of argmax find them (O(k n), no sort).
Every candidate sum is taken relative to its own largest term, so nothing overflows or underflows:

    s_m = Σ_{j>m} y_(j) / y_(m+1) = Σ_{m<j<=k} e^{t_j - t_{m+1}} + e^{t_rest - t_{m+1}} · Σ_{rest} e^{l_i - t_rest}

(t_j = ln y_(j), t_rest the largest logit outside the top k), and c_m y_(m+1) <= 1  ⟺  s_m >= k - m,
x_i = min(1, (k - m) e^{l_i - t_{m+1}} / s_m). Entries with logit -inf stay 0; if k >= #finite entries,
every finite entry is 1. Ties never split across the cap (if y_(m) = y_(m+1) then c_m y_(m+1) > 1 whenever
c_{m-1} y_(m) > 1), so equal y give equal x as in the sorted projection.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def project_uniform_top(logits, k_max: int, k=None):
    """KL projection of exp(logits) onto B_k.

    Args:
        logits: float[n], ln y (-inf for y = 0).
        k_max: static upper bound on the rank (the number of argmax passes).
        k: the rank, 1 <= k <= k_max (may be traced); default k_max.
    Returns:
        x: float[n] in [0, 1] with Σ x = k (or every finite entry 1 if k >= #finite).
    """
    logits = jnp.asarray(logits)
    dtype = logits.dtype
    n = logits.shape[-1]
    kk = min(int(k_max), n)
    k = jnp.asarray(k_max if k is None else k, dtype)
    finite = jnp.isfinite(logits)
    index = jnp.arange(n)
    rest = jnp.where(finite, logits, -jnp.inf)  # logits outside the top j after pass j
    pos = jnp.full(n, kk, jnp.int32)  # rank among the kk largest (kk: not among them)
    tops = []
    for j in range(kk):  # the top kk, by repeated argmax (ties to the lower index)
        i = jnp.argmax(rest)
        v = rest[i]
        hit = (index == i) & jnp.isfinite(v)
        pos = jnp.where(hit, j, pos)
        rest = jnp.where(hit, -jnp.inf, rest)
        tops.append(v)
    t = jnp.stack(tops)  # [kk] t_1 >= ... (-inf past #finite)
    t_rest = jnp.max(rest)
    rest_sum = jnp.sum(jnp.where(jnp.isfinite(rest), jnp.exp(rest - jnp.where(jnp.isfinite(t_rest), t_rest, 0.0)),
                                 0.0))  # Σ_rest e^{l_i - t_rest}
    ok = jnp.isfinite(t)
    tm = jnp.where(ok, t, 0.0)
    later = index[:kk][None, :] >= index[:kk][:, None]  # [m, j]: j >= m (0-based: the uncapped tops)
    s = jnp.sum(jnp.where(later & ok[None, :], jnp.exp(jnp.minimum(t[None, :] - tm[:, None], 0.0)), 0.0), axis=1)
    s = s + jnp.exp(jnp.minimum(t_rest - tm, 0.0)) * rest_sum  # [kk]  s_m
    free = k - jnp.arange(kk).astype(dtype)  # k - m
    m = jnp.argmax(ok & (free > 0) & (s >= free))  # the smallest valid m
    scale = jnp.log(jnp.maximum(free[m], 0.0)) - jnp.log(jnp.maximum(s[m], jnp.finfo(dtype).tiny))
    x = jnp.where(pos < m, 1.0, jnp.exp(jnp.minimum(scale + (logits - tm[m]), 0.0)))
    x = jnp.where(finite, x, 0.0)
    return jnp.where(k >= jnp.sum(finite).astype(dtype), finite.astype(dtype), x)


def project_partition_top(logits, blocks, caps):
    """``projections.project_partition`` with ``project_uniform_top`` per block.

    Args:
        logits: float[n].
        blocks: int[n] block of each element.
        caps: int[B] block capacities, concrete (NumPy or a list): their maximum bounds the argmax passes.
    Returns:
        x: float[n] in the partition-matroid base polytope.
    """
    logits = jnp.asarray(logits)
    caps_np = np.asarray(caps)
    k_max = int(caps_np.max())
    if caps_np.shape[0] == 1:
        return project_uniform_top(logits, k_max)
    blocks = jnp.asarray(blocks)

    def one(b, k):
        mine = blocks == b
        return jnp.where(mine, project_uniform_top(jnp.where(mine, logits, -jnp.inf), k_max, k), 0.0)

    caps_j = jnp.asarray(caps_np, logits.dtype)
    return jnp.sum(jax.vmap(one)(jnp.arange(caps_np.shape[0]), caps_j), axis=0)
