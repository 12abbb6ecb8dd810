"""Submodular function families as JAX pytrees (spec §5), normalised to [0, 1].

Every family is a NamedTuple of arrays (so a stack of instances f_1..f_T is one pytree with a
leading axis, and ``jax.vmap`` runs over rounds, seeds or masks) with two pure methods:

    f.value(mask[n]) -> scalar in [0, 1]         mask: bool or 0/1 float, 1_S
    f.multilinear(x[n]) -> scalar                F(x) = E_{S ~ x}[f(S)], S ∋ i independently w.p. x_i

``multilinear`` is *exact* (closed form) for every family here, so ∇F is ``jax.grad`` of it; the
identity ∂F/∂x_i = F(x | x_i = 1) - F(x | x_i = 0) is what the tests check. Arithmetic follows
the dtype of the parameters.

Families (n elements):
- Coverage (weighted / probabilistic coverage, monotone):
      f(S) = Σ_u w_u (1 - Π_{i∈S} (1 - P_iu)),     F(x) = Σ_u w_u (1 - Π_i (1 - x_i P_iu)),  Σ_u w_u = 1.
  P ∈ {0,1} is plain weighted coverage; P ∈ [0,1] is probabilistic coverage (influence-style).
- FacilityLocation (monotone):  f(S) = (1/m) Σ_j max_{i∈S} W_ji  (0 for S = ∅), W ∈ [0,1]^{m×n};
      with W_j sorted decreasingly, w_(1) >= ... >= w_(n), w_(n+1) = 0 (sorted differences):
      F_j(x) = Σ_r (w_(r) - w_(r+1)) (1 - Π_{q<=r} (1 - x_(q))).
- ConcaveModular (monotone, tunable curvature c ∈ [0, 1]):
      f(S) = (1/J) Σ_j φ_c(W_j · 1_S) / φ_c(1),   φ_c(z) = z - (c/2) z²,  rows of W >= 0 sum to 1.
      φ_c'(0) = 1, φ_c'(1) = 1 - c, so the total curvature is ≈ c (exactly c as weights -> 0).
      F_j(x) = [μ - (c/2)(μ² + Σ_i W_ji² x_i (1 - x_i))] / φ_c(1),   μ = W_j · x.
- GraphCut (non-monotone, USM):  f(S) = Σ_{u<v} A_uv [|S ∩ {u,v}| = 1] / Σ_{u<v} A_uv,
      F(x) = xᵀ A (1 - x) / (½ 1ᵀ A 1);  A symmetric, >= 0, zero diagonal.
- FacilityLocationMinusCost (non-monotone, USM): f(S) = (FL(S) - cᵀ1_S + Σ_i c_i) / (1 + Σ_i c_i),
      a facility location minus a modular cost, shifted to be non-negative (c >= 0).

Curvature decomposition (eq. 3.1): ℓ(i) = f(V) - f(V - i), g = f - ℓ (monotone submodular when f
is); G(x) = F(x) - ℓᵀx.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp


def _as(mask, like):
    return jnp.asarray(mask).astype(like.dtype)


# ---------------------------------------------------------------------------------------------
# Monotone families
# ---------------------------------------------------------------------------------------------
class Coverage(NamedTuple):
    probs: jax.Array  # [n, m]  P_iu, probability that element i covers item u (0/1: plain coverage)
    weights: jax.Array  # [m]   w_u >= 0, summing to 1

    def value(self, mask):
        return self.multilinear(_as(mask, self.probs))

    def multilinear(self, x):
        miss = jnp.prod(1.0 - x[:, None] * self.probs, axis=0)  # Π_i (1 - x_i P_iu)
        return jnp.sum(self.weights * (1.0 - miss))


class FacilityLocation(NamedTuple):
    weights: jax.Array  # [m, n]  W_ji in [0, 1], benefit of element i to customer j

    def value(self, mask):
        m = _as(mask, self.weights) > 0
        return jnp.mean(jnp.max(jnp.where(m[None, :], self.weights, 0.0), axis=1))

    def multilinear(self, x):
        order = jnp.argsort(-self.weights, axis=1)  # per customer, decreasing benefit
        w = jnp.take_along_axis(self.weights, order, axis=1)
        diffs = w - jnp.concatenate([w[:, 1:], jnp.zeros_like(w[:, :1])], axis=1)
        miss = jnp.cumprod(1.0 - x[order], axis=1)  # Π_{q<=r} (1 - x_(q))
        return jnp.mean(jnp.sum(diffs * (1.0 - miss), axis=1))


def _phi(z, c):
    return z - 0.5 * c * z * z


class ConcaveModular(NamedTuple):
    weights: jax.Array  # [J, n]  rows >= 0 summing to 1
    c: jax.Array  # []      curvature parameter in [0, 1]

    def value(self, mask):
        z = self.weights @ _as(mask, self.weights)
        return jnp.mean(_phi(z, self.c)) / _phi(1.0, self.c)

    def multilinear(self, x):
        mu = self.weights @ x
        var = (self.weights**2) @ (x * (1.0 - x))
        return jnp.mean(mu - 0.5 * self.c * (mu * mu + var)) / _phi(1.0, self.c)


# ---------------------------------------------------------------------------------------------
# Non-monotone families (USM)
# ---------------------------------------------------------------------------------------------
class GraphCut(NamedTuple):
    adjacency: jax.Array  # [n, n]  symmetric, >= 0, zero diagonal

    def value(self, mask):
        return self.multilinear(_as(mask, self.adjacency))

    def multilinear(self, x):
        total = 0.5 * jnp.sum(self.adjacency)
        return (x @ self.adjacency @ (1.0 - x)) / jnp.maximum(total, jnp.finfo(x.dtype).tiny)


class FacilityLocationMinusCost(NamedTuple):
    location: FacilityLocation
    cost: jax.Array  # [n] >= 0

    def _norm(self):
        return 1.0 + jnp.sum(self.cost)

    def value(self, mask):
        s = _as(mask, self.cost)
        return (self.location.value(mask) + self.cost @ (1.0 - s)) / self._norm()

    def multilinear(self, x):
        return (self.location.multilinear(x) + self.cost @ (1.0 - x)) / self._norm()


# ---------------------------------------------------------------------------------------------
# Random instances (jax.random, jitted with the shapes static; sizes must be Python ints/tuples)
# ---------------------------------------------------------------------------------------------
@partial(jax.jit, static_argnames=("n", "m", "probabilistic", "dtype"))
def random_coverage(key, n: int, m: int, density: float = 0.2, probabilistic: bool = False, dtype=jnp.float32):
    """Each element covers each item w.p. ``density`` (with P_iu ~ U[0,1] if probabilistic)."""
    k1, k2, k3 = jax.random.split(key, 3)
    cover = jax.random.uniform(k1, (n, m), dtype) < density
    probs = cover * (jax.random.uniform(k3, (n, m), dtype) if probabilistic else 1.0)
    w = jax.random.uniform(k2, (m,), dtype)
    return Coverage(probs=probs.astype(dtype), weights=w / jnp.sum(w))


@partial(jax.jit, static_argnames=("n", "m", "dtype"))
def random_facility_location(key, n: int, m: int, sparsity: float = 0.0, dtype=jnp.float32):
    """W_ji ~ U[0, 1], each entry zeroed w.p. ``sparsity``."""
    k1, k2 = jax.random.split(key)
    w = jax.random.uniform(k1, (m, n), dtype) * (jax.random.uniform(k2, (m, n), dtype) >= sparsity)
    return FacilityLocation(weights=w.astype(dtype))


@partial(jax.jit, static_argnames=("n", "J", "dtype"))
def random_concave_modular(key, n: int, J: int, c: float, dtype=jnp.float32):
    """J random modular weight vectors (Dirichlet(1) rows) under φ_c."""
    w = jax.random.dirichlet(key, jnp.ones(n, dtype), (J,)).astype(dtype)
    return ConcaveModular(weights=w, c=jnp.asarray(c, dtype))


@partial(jax.jit, static_argnames=("n", "weighted", "dtype"))
def erdos_renyi_cut(key, n: int, p: float, weighted: bool = False, dtype=jnp.float32):
    """G(n, p), unit or U[0,1] edge weights."""
    k1, k2 = jax.random.split(key)
    upper = jnp.triu(jax.random.uniform(k1, (n, n), dtype) < p, 1)
    w = jax.random.uniform(k2, (n, n), dtype) if weighted else jnp.ones((n, n), dtype)
    a = jnp.where(upper, w, 0.0)
    return GraphCut(adjacency=(a + a.T).astype(dtype))


@partial(jax.jit, static_argnames=("sizes", "dtype"))
def sbm_cut(key, sizes, p_in: float, p_out: float, dtype=jnp.float32):
    """Stochastic block model: blocks of the given (static) sizes, edge prob p_in inside, p_out across."""
    block = jnp.repeat(jnp.arange(len(sizes)), jnp.asarray(sizes), total_repeat_length=sum(sizes))
    n = int(sum(sizes))
    prob = jnp.where(block[:, None] == block[None, :], p_in, p_out)
    upper = jnp.triu(jax.random.uniform(key, (n, n), dtype) < prob, 1)
    a = upper.astype(dtype)
    return GraphCut(adjacency=a + a.T)


@partial(jax.jit, static_argnames=("n", "m", "dtype"))
def random_fl_minus_cost(key, n: int, m: int, cost_scale: float = 0.5, dtype=jnp.float32):
    """Facility location minus a modular cost c_i = cost_scale · U[0, 1] · 2 / n (mean total cost_scale)."""
    k1, k2 = jax.random.split(key)
    return FacilityLocationMinusCost(
        location=random_facility_location(k1, n, m, dtype=dtype),
        cost=(cost_scale * jax.random.uniform(k2, (n,), dtype) / n * 2.0).astype(dtype),
    )


# ---------------------------------------------------------------------------------------------
# Gradients and the curvature decomposition (eq. 3.1)
# ---------------------------------------------------------------------------------------------
def multilinear_grad(f, x):
    """∇F(x) by autodiff of the exact multilinear extension."""
    return jax.grad(lambda z: f.multilinear(z))(x)


def sampled_multilinear(f, x, u):
    """Monte-Carlo F(x) = mean_s f(1[u_s < x]) over pre-drawn uniforms u[S, n]."""
    return jnp.mean(jax.vmap(lambda us: f.value(us < x))(u))


def sampled_gradient(f, x, u):
    """Monte-Carlo ∇F(x)_i = mean_s [f(R_s + i) - f(R_s - i)],  R_s = {i : u_si < x_i} (n + 1 calls a sample)."""
    eye = jnp.eye(x.shape[0], dtype=bool)

    def one(us):
        r = us < x
        return jax.vmap(lambda e: f.value(r | e) - f.value(r & ~e))(eye)

    return jnp.mean(jax.vmap(one)(u), axis=0)


def modular_part(f, n: int):
    """ℓ(i) = f(V) - f(V - i)  (eq. 3.1), as float[n]."""
    full = jnp.ones(n, bool)
    fv = f.value(full)
    return fv - jax.vmap(lambda e: f.value(full & ~e))(jnp.eye(n, dtype=bool))


class CurvatureSplit(NamedTuple):
    """f = g + ℓ with ℓ modular, g = f - ℓ (monotone submodular for monotone submodular f)."""

    ell: jax.Array  # [n]  ℓ(i) = f(V) - f(V - i)
    g_value: Callable  # mask -> f(S) - ℓ(S)
    g_multilinear: Callable  # x -> F(x) - ℓᵀx


def curvature_split(f, n: int) -> CurvatureSplit:
    ell = modular_part(f, n)
    return CurvatureSplit(
        ell=ell,
        g_value=lambda mask: f.value(mask) - ell @ _as(mask, ell),
        g_multilinear=lambda x: f.multilinear(x) - ell @ x,
    )


def total_curvature(f, n: int):
    """c_f = 1 - min_i ℓ(i) / f({i}) over i with f({i}) > 0 (0 <= c_f <= 1 for monotone f)."""
    ell = modular_part(f, n)
    single = jax.vmap(f.value)(jnp.eye(n, dtype=bool))
    ratio = jnp.where(single > 0, ell / jnp.where(single > 0, single, 1.0), jnp.inf)
    return 1.0 - jnp.min(ratio)


def curvature_at(f, n: int, mask):
    """The average curvature at S, 1 - ℓ(S) / f(S) (spec §8 E5: (1 - c/e) line; Appendix D.1)."""
    ell = modular_part(f, n)
    return 1.0 - (ell @ _as(mask, ell)) / f.value(mask)
