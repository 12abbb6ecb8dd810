"""The paper's monotone algorithm (Algorithm 6, discrete online continuous greedy with the curvature
decomposition), as a ``Policy`` (spec §3; *reconstructed* from Appendix E).

Full information: the observation of round t is the function f_t itself (a family pytree from
``functions``, exposing ``value`` and ``multilinear``). The action is a base S_t of the matroid.

    L = 1/δ learners A_s, s ∈ {0, δ, ..., 1 - δ}: entropic ODA over B(M) from Π^KL_{B(M)}((k/n)·1),
        D = max{1, k, k ln(n/k)} (spec §2 margin), first-order or fixed steps
    for t = 1, 2, ...:
        x(0) = 0;  x(s + δ) = x(s) + δ y_t(s),  y_t(s) = iterate of A_s          (x(1) ∈ B(M))
        S_t = dependent_round(x(1), u_t)                        (pre-drawn uniforms u_t[n - 1])
        play S_t; observe f_t
        ℓ_t(i) = f_t(V) - f_t(V - i)  (eq. 3.1; ℓ_t = 0 without the decomposition)
        for every s:  c_t(s) = -(1 + δ)^{(s-1)/δ} ∇G_t(x(s)) - ℓ_t,   ∇G_t = ∇F_t - ℓ_t
                      A_s.update(c_t(s))

∇F_t is exact (autodiff of the closed-form multilinear extension) or sampled with m uniform
vectors per learner (drawn from a pre-split per-round key) (∂_i F ≈ mean_r f(R_r + i) - f(R_r - i)). Entries of c_t(s) lie in
[-1, 0] for monotone f_t ∈ [0, 1]: (1+δ)^{(s-1)/δ} <= 1 and 0 <= ∇G_i, ℓ_i with ∇G_i + ℓ_i = ∇F_i <= 1.

Oracle calls per round: n + 1 for ℓ_t (0 without the decomposition), plus L·m·(n + 1) for sampled
gradients (exact gradients read the closed form instead); ``oracle_calls_per_round`` returns it.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from bandits.core.types import Policy

from .functions import modular_part, multilinear_grad, sampled_gradient
from .oda import ODAState, oda
from .fast_projection import project_partition_top
from .rounding import dependent_round_partition


class MonotoneState(NamedTuple):
    learners: ODAState  # every leaf has a leading axis L: x [L, n], cum_cost [L, n], first_order [L], t [L]


class MonotoneNoise(NamedTuple):
    rounding: jax.Array  # [n - 1]  uniforms for dependent rounding
    gradient: Optional[jax.Array]  # key    per-round PRNG key for sampled gradients (None: exact); the
    #                                        L·m·n uniforms are drawn in ``update`` (pre-drawing them for a
    #                                        chunk of rounds would take rounds·L·m·n floats of memory)


class Play(NamedTuple):
    mask: jax.Array  # bool[n]  the base S_t
    point: jax.Array  # [n]      x(1) ∈ B(M), with E[1_{S_t}] = x(1)
    gradient_noise: Optional[jax.Array]  # this round's gradient key, handed on to update (or None)



def partition_matroid(blocks, caps):
    """Check a partition matroid (element -> block, capacity per block): (blocks, caps, n, rank k)."""
    blocks_np = np.asarray(blocks, np.int32)
    caps_np = np.asarray(caps, np.int32)
    sizes = np.bincount(blocks_np, minlength=len(caps_np))
    if np.any(caps_np < 1) or np.any(caps_np > sizes):
        raise ValueError(f"need 1 <= caps[b] <= |block b|, got caps={caps_np.tolist()}, sizes={sizes.tolist()}")
    return blocks_np, caps_np, blocks_np.shape[0], int(caps_np.sum())

def greedy_path(ys, delta):
    """x(s) for s = 0, δ, ..., 1 - δ (the point *before* step s) and x(1):  x(jδ) = δ Σ_{i<j} y_i."""
    after = delta * jnp.cumsum(ys, axis=0)
    return after - delta * ys, after[-1]


def step_weights(L: int, dtype):
    """(1 + δ)^{(s - 1)/δ} for s = jδ, j = 0..L-1:  (1 + δ)^{j - L}."""
    delta = 1.0 / L
    return jnp.asarray((1.0 + delta) ** (np.arange(L) - L), dtype)


def oracle_calls_per_round(n: int, L: int, decompose: bool = True, gradient_samples: Optional[int] = None) -> int:
    calls = (n + 1) if decompose else 0
    if gradient_samples is not None:
        calls += L * gradient_samples * (n + 1)
    return calls


def online_continuous_greedy(
    blocks,
    caps,
    L: int = 20,
    step: str = "first_order",
    horizon: Optional[int] = None,
    decompose: bool = True,
    gradient_samples: Optional[int] = None,
    dtype=jnp.float32,
) -> Policy:
    """Algorithm 6 over a partition matroid (a uniform matroid is one block).

    Args:
        blocks: int[n] block of each element (static; all zeros for a uniform matroid of rank caps[0]).
        caps: int[B] block capacities (static).
        L: number of learners, δ = 1/L (spec default 20; the theory asks δ <= ε/n²).
        step: "first_order" (Corollary B.3) or "fixed" (η = sqrt(D/T), needs ``horizon``).
        horizon: T, for step="fixed".
        decompose: use the curvature decomposition f = g + ℓ (False: the plain 1 - 1/e ablation).
        gradient_samples: None for exact ∇F (closed-form multilinear extension), else m samples.
        dtype: learner state dtype.
    Returns:
        Policy(init, select, update, sample); ``known`` is not read (the constraint is static).
        select returns ``Play(mask, point, gradient_noise)``; update expects the revealed f_t as observation.
    """
    blocks_np, caps_np, n, k = partition_matroid(blocks, caps)
    blocks_j, caps_j = jnp.asarray(blocks_np), jnp.asarray(caps_np)
    D = max(1.0, float(k), k * math.log(n / k))
    project = lambda z: project_partition_top(z, blocks_np, caps_np)  # noqa: E731  (sort-free, = project_partition)
    x1 = jax.jit(project)(jnp.full(n, math.log(k / n), dtype))  # Π^KL_{B(M)}((k/n)·1), one compile (not one per op)
    learner = oda(project, x1, D, step=step, horizon=horizon)
    delta = 1.0 / L
    weights = step_weights(L, dtype)

    def init(known):
        return MonotoneState(learners=jax.vmap(lambda _: learner.init())(jnp.arange(L)))

    def sample(key, rounds, known):
        k1, k2 = jax.random.split(key)
        grad = None
        if gradient_samples is not None:
            grad = jax.random.split(k2, rounds)
        return MonotoneNoise(rounding=jax.random.uniform(k1, (rounds, max(n - 1, 1)), dtype), gradient=grad)

    def select(state, noise: MonotoneNoise, t, known) -> Play:
        _, point = greedy_path(state.learners.x, delta)
        mask = dependent_round_partition(point, noise.rounding, blocks_j, caps_j)
        return Play(mask=mask, point=point, gradient_noise=noise.gradient)

    def update(state, action: Play, f, known):
        path, _ = greedy_path(state.learners.x, delta)
        if gradient_samples is None:
            grad_of = f.gradient if hasattr(f, "gradient") else (lambda x: multilinear_grad(f, x))  # closed form if any
            grads = jax.vmap(grad_of)(path)
        else:
            u = jax.random.uniform(action.gradient_noise, (L, gradient_samples, n), dtype)
            grads = jax.vmap(lambda x, u: sampled_gradient(f, x, u))(path, u)
        ell = modular_part(f, n).astype(dtype) if decompose else jnp.zeros(n, dtype)
        costs = -(weights[:, None] * (grads.astype(dtype) - ell[None, :]) + ell[None, :])
        return MonotoneState(learners=jax.vmap(learner.update)(state.learners, costs))

    return Policy(init=init, select=select, update=update, sample=sample)
