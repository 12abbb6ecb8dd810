"""Function families, adversaries and matroids as plugins, and the full-information environment (spec §5, §7).

Every family is a *base instance* g(·; w) whose value is **affine in a component weight vector**
w ∈ [0, 1]^m (coverage: item weights; facility location: customers; concave-of-modular: rows; graph
cut: node weights, edge uv scaled by (w_u + w_v)/2; FL minus cost: customers). The adversary draws,
each round t, w_t ∈ {0, 1}^m with E[w_t] = p_t (its keep probabilities at t) and an activity bit
a_t ~ Bernoulli(q), and reveals

    f_t = scale · a_t · g(·; w_t)            (an observation: a pytree with ``value`` and ``multilinear``)

Because g is affine in w, Σ_t E f_t = q · scale · Σ_t g(·; p_t) = q · scale · T · g(·; p̄) with
p̄ = (1/T) Σ_t p_t, so the maximiser S* of the *expected* sum is the maximiser of one function of the
family, g(·; p̄), computed once per instance (exact by brute force for n <= ``exact_up_to``, else best
found, ``comparators.best_found``). The environment then tracks, on the same draws as the learner,

    collected_value       Σ_s f_s(S_s)
    comparator_value      Σ_s f_s(S*)                      (the fixed comparator S*, realised)
    alpha_regret          α Σ_s f_s(S*) - Σ_s f_s(S_s)
    regret_vs_best_found  Σ_s f_s(S*) - Σ_s f_s(S_s)        (1-regret)
    pseudo_alpha_regret   Σ_s [α E f_s(S*) - E f_s(S_s)]    (expectation over the adversary's draw only)
    oracle_calls          value-oracle calls of the learner (its ``Act.calls`` each round)

S* is a fixed set, so Σ_s f_s(S*) <= max_S Σ_s f_s(S): these regrets are lower bounds on the regret
against the best set in hindsight of the realised sequence, equal to it in expectation up to
E max - max E (an O(√T) fluctuation term for i.i.d. adversaries). The report says so.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bandits.core import rng as core_rng
from bandits.core.numerics import KahanSum
from bandits.core.ranges import Range
from bandits.core.registry import Registry
from bandits.core.types import ActionCheck, Environment

from . import functions as fn


# ---------------------------------------------------------------------------------------------
# Observation wrappers and families with component weights
# ---------------------------------------------------------------------------------------------
class Scaled(NamedTuple):
    """f = a · inner (a >= 0 scalar): the activity bit and the family's scale."""

    inner: Any
    a: jax.Array

    def value(self, mask):
        return self.a * self.inner.value(mask)

    def multilinear(self, x):
        return self.a * self.inner.multilinear(x)

    def gradient(self, x):
        """∇F(x): the inner family's closed form where it has one, else autodiff."""
        if hasattr(self.inner, "gradient"):
            return self.a * self.inner.gradient(x)
        return jax.grad(self.multilinear)(x)


class FastCoverage(NamedTuple):
    """``functions.Coverage`` with a closed-form multilinear gradient (autodiff of the product was the slowest
    part of Algorithm 6's round): ∂F/∂x_i = Σ_u w_u P_iu Π_{j≠i} q_ju with q_ju = 1 - x_j P_ju.

    Products-except-self without prefix scans (XLA-CPU lowers cumprod to an O(n²) reduce-window): with
    Z_u = #{j : q_ju = 0} and Π'_u = Π_{j : q_ju ≠ 0} q_ju,  Π_{j≠i} q_ju = Π'_u / q_iu if q_iu ≠ 0 and Z_u = 0,
    Π'_u if q_iu = 0 and Z_u = 1, else 0 (exact zeros handled, e.g. x_i = 1 with P_iu = 1)."""

    probs: jax.Array  # [n, m]
    weights: jax.Array  # [m]

    def value(self, mask):
        return self.multilinear(jnp.asarray(mask).astype(self.probs.dtype))

    def multilinear(self, x):
        miss = jnp.prod(1.0 - x[:, None] * self.probs, axis=0)
        return jnp.sum(self.weights * (1.0 - miss))

    def gradient(self, x):
        q = 1.0 - x[:, None] * self.probs  # [n, m]
        zero = q == 0.0
        zeros = jnp.sum(zero, axis=0)  # [m]
        rest = jnp.prod(jnp.where(zero, 1.0, q), axis=0)  # [m]
        others = jnp.where(zero, jnp.where(zeros == 1, rest, 0.0),
                           jnp.where(zeros == 0, rest / jnp.where(zero, 1.0, q), 0.0))  # Π_{j≠i} q_ju
        return (self.probs * others) @ self.weights


class SetCoverage(NamedTuple):
    """Plain weighted coverage, P ∈ {0, 1} (the ``coverage`` family): ``FastCoverage`` with its O(n m)
    elementwise products per point turned into two matrix products, so that a batch of points (Algorithm 6's
    L learners over every seed) is two GEMMs against the one incidence matrix all of them share.

    Because P_ju ∈ {0, 1}, ln(1 - x_j P_ju) = P_ju a_j with a_j = ln(1 - x_j), and

        ∂F/∂x_i = Σ_u w_u P_iu Π_{j≠i} (1 - x_j P_ju) = e^{-a_i} Σ_u P_iu w_u e^{(aᵀP)_u}   (x < 1),
        f(S) = Σ_u w_u [(1_Sᵀ P)_u > 0].

    ``gradient`` evaluates it at x̃ = min(x, 1 - ε), ε = 2^-24 (float32) or 2^-53 (float64), the largest
    float below 1, so that a_i stays finite: as ∂²F/∂x_i∂x_j ∈ [-Σ_u w_u, 0], this moves ∇F by at most
    n ε Σ_u w_u (rounding level; tested against autodiff at x_i = 1 exactly). ``multilinear`` keeps the
    product form (the definition; the tests differentiate it)."""

    probs: jax.Array  # [n, m]  P_iu ∈ {0, 1}: element i covers item u
    weights: jax.Array  # [m]

    def value(self, mask):
        covered = jnp.asarray(mask).astype(self.probs.dtype) @ self.probs  # [m] elements of S covering u
        return jnp.sum(jnp.where(covered > 0, self.weights, 0.0))

    multilinear = FastCoverage.multilinear  # the product form (same fields)

    def gradient(self, x):
        a = jnp.log1p(-jnp.minimum(x, 1.0 - jnp.finfo(x.dtype).epsneg))  # [n]  ln(1 - x̃_i)
        r = self.weights * jnp.exp(a @ self.probs)  # [m]  w_u Π_j (1 - x̃_j P_ju)
        return jnp.exp(-a) * (r @ self.probs.T)  # row-major products: a batch of x is one GEMM each


class SortedFacilityLocation(NamedTuple):
    """``functions.FacilityLocation`` with every customer's benefits stored sorted, and the sort as a one-hot
    matrix, so that F, ∇F and f need no sort per call (autodiff through ``argsort`` dominated Algorithm 6's
    round) and every step is a product with a constant matrix: a batch of points is a few GEMMs. With customer
    j's benefits sorted decreasingly, w_(1) >= ... >= w_(n), w_(n+1) = 0, d_r = w_(r) - w_(r+1) and
    C_r = Σ_{q<=r} ln(1 - x_(q)):

        F_j(x) = Σ_r d_r (1 - e^{C_r}),
        ∂F_j/∂x_(q) = Σ_{r>=q} d_r Π_{q'<=r, q'≠q} (1 - x_(q')) = (1 - x_(q))^{-1} Σ_{r>=q} d_r e^{C_r},
        f(S) = (1/m) Σ_j max_r w_(r) [(r) ∈ S],

    F = mean_j F_j. x_(q) for every customer at once is x ``@ perm``, Σ_{q<=r} and Σ_{r>=q} are products with a
    triangular matrix of ones, and ``@ perm.T`` takes per-customer values back to elements. ``gradient``
    evaluates at x̃ = min(x, 1 - ε) like ``SetCoverage`` (|∂²F/∂x_i∂x_k| <= max W: ∇F moves by at most
    n ε max W, rounding level). The adversary scales whole rows (customers), which keeps each row sorted, so
    ``sorted`` is the linear field and ``perm`` a constant of the instance."""

    sorted: jax.Array  # [m, n]  customer j's benefits W_ji in decreasing order (ties: lower index first)
    perm: jax.Array  # [n, m n]  one-hot: perm[i, j n + r] = 1 iff element i is r-th in customer j's order

    @staticmethod
    def of(weights):
        """From W [m, n] (W_ji >= 0: benefit of element i to customer j)."""
        m, n = weights.shape
        order = jnp.argsort(-weights, axis=1, stable=True)  # [m, n]
        perm = jax.nn.one_hot(order, n, dtype=weights.dtype)  # [m, r, i]
        return SortedFacilityLocation(jnp.take_along_axis(weights, order, axis=1),
                                      jnp.transpose(perm, (2, 0, 1)).reshape(n, m * n))

    def _by_customer(self, x):
        return (x @ self.perm).reshape(self.sorted.shape)  # [m, n]  x_(r) per customer

    def _steps(self):
        w = self.sorted
        return w - jnp.concatenate([w[:, 1:], jnp.zeros_like(w[:, :1])], axis=1)  # d_r

    def value(self, mask):
        s = self._by_customer(jnp.asarray(mask).astype(self.sorted.dtype))
        return jnp.mean(jnp.max(jnp.where(s > 0, self.sorted, 0.0), axis=1))

    def multilinear(self, x):
        miss = jnp.cumprod(1.0 - self._by_customer(x), axis=1)  # Π_{q<=r} (1 - x_(q))
        return jnp.mean(jnp.sum(self._steps() * (1.0 - miss), axis=1))

    def gradient(self, x):
        n = x.shape[0]
        upto = jnp.triu(jnp.ones((n, n), x.dtype))  # [q, r] = [q <= r]
        keep = 1.0 - self._by_customer(jnp.minimum(x, 1.0 - jnp.finfo(x.dtype).epsneg))  # 1 - x̃_(q)
        reach = self._steps() * jnp.exp(jnp.log(keep) @ upto)  # d_r e^{C_r}
        per_customer = (reach @ upto.T) / keep  # ∂F_j/∂x_(q)
        return (per_customer.reshape(-1) @ self.perm.T) / self.sorted.shape[0]


class RowConcave(NamedTuple):
    """Concave-of-modular with row weights r_j: (1/J) Σ_j r_j φ_c(W_j · 1_S) / φ_c(1) (affine in r)."""

    weights: jax.Array  # [J, n]
    c: jax.Array
    rows: jax.Array  # [J]

    def value(self, mask):
        z = self.weights @ jnp.asarray(mask).astype(self.weights.dtype)
        return jnp.mean(self.rows * (z - 0.5 * self.c * z * z)) / (1.0 - 0.5 * self.c)

    def multilinear(self, x):
        mu = self.weights @ x
        var = (self.weights**2) @ (x * (1.0 - x))
        return jnp.mean(self.rows * (mu - 0.5 * self.c * (mu * mu + var))) / (1.0 - 0.5 * self.c)


class NodeCut(NamedTuple):
    """Graph cut with edge uv scaled by (w_u + w_v)/2, normalised by the *base* graph's total weight."""

    adjacency: jax.Array  # [n, n]
    w: jax.Array  # [n]
    total: jax.Array  # []

    def value(self, mask):
        return self.multilinear(jnp.asarray(mask).astype(self.adjacency.dtype))

    def multilinear(self, x):
        a = self.adjacency * (0.5 * (self.w[:, None] + self.w[None, :]))
        return (x @ a @ (1.0 - x)) / self.total


class Family(NamedTuple):
    """A function family: ``make(key, n, curvature, **kwargs) -> base``; ``components(base) -> m``;
    ``apply(base, w[m]) -> function pytree``. ``monotone``: its setting (matroid) or USM."""

    make: Callable
    components: Callable
    apply: Callable
    monotone: bool
    doc: str = ""


FAMILIES: Registry[Family] = Registry("function family")


def _coverage(key, n, curvature, items=None, density=0.1):
    base = fn.random_coverage(key, n, int(items or 3 * n), density=float(density))
    return SetCoverage(base.probs, base.weights)


def _facility(key, n, curvature, customers=None, sparsity=0.8):
    return SortedFacilityLocation.of(fn.random_facility_location(key, n, int(customers or 2 * n),
                                                                 sparsity=float(sparsity)).weights)


def _concave(key, n, curvature, rows=None):
    base = fn.random_concave_modular(key, n, int(rows or 4), float(curvature))
    return RowConcave(base.weights, base.c, jnp.ones(base.weights.shape[0], base.weights.dtype))


def _er(key, n, curvature, p=0.3, weighted=True):
    g = fn.erdos_renyi_cut(key, n, float(p), weighted=bool(weighted))
    return NodeCut(g.adjacency, jnp.ones(n, g.adjacency.dtype), jnp.maximum(0.5 * g.adjacency.sum(), 1e-12))


def _sbm(key, n, curvature, p_in=0.2, p_out=0.7):
    g = fn.sbm_cut(key, (n // 2, n - n // 2), float(p_in), float(p_out))
    return NodeCut(g.adjacency, jnp.ones(n, g.adjacency.dtype), jnp.maximum(0.5 * g.adjacency.sum(), 1e-12))


def _fl_cost(key, n, curvature, customers=None, cost_scale=1.0):
    return fn.random_fl_minus_cost(key, n, int(customers or 5), cost_scale=float(cost_scale))


def karate_club():
    """(n, edges int[E, 2], weights [E]) of Zachary's karate club (``data/karate_club.json``, provenance there)."""
    import json
    from importlib import resources

    data = json.loads(resources.files("bandits.submodular").joinpath("data/karate_club.json").read_text())
    return int(data["n"]), np.asarray(data["edges"], np.int64), np.asarray(data["weights"], np.float64)


def _karate_n(n):
    size = karate_club()[0]
    if n != size:
        from bandits.core.experiment import ConfigError

        raise ConfigError(f"the karate-club families have n = {size} elements (its nodes); set experiment.n={size}")
    return size


def _karate_influence(key, n, curvature, p=0.2, weighted=True):
    """Influence as probabilistic coverage: node i reaches itself surely and neighbour u w.p. 1 - (1 - p)^w_iu
    (w_iu: Zachary's interaction count, or 1 unweighted); items = the nodes, equally weighted."""
    del key, curvature
    n = _karate_n(n)
    _, edges, w = karate_club()
    w = w if weighted else np.ones_like(w)
    probs = np.eye(n)
    reach = 1.0 - (1.0 - float(p)) ** w
    probs[edges[:, 0], edges[:, 1]] = reach
    probs[edges[:, 1], edges[:, 0]] = reach
    return FastCoverage(jnp.asarray(probs, jnp.float32), jnp.full(n, 1.0 / n, jnp.float32))


def _karate_cut(key, n, curvature, weighted=True):
    """Graph cut on the karate club (edge weights: Zachary's interaction counts, or 1 unweighted)."""
    del key, curvature
    n = _karate_n(n)
    _, edges, w = karate_club()
    a = np.zeros((n, n))
    a[edges[:, 0], edges[:, 1]] = w if weighted else 1.0
    a = jnp.asarray(a + a.T, jnp.float32)
    return NodeCut(a, jnp.ones(n, jnp.float32), jnp.maximum(0.5 * a.sum(), 1e-12))


# The families' keyword arguments (experiment.family_kwargs), checked before a base is drawn: component counts
# (each round draws one weight per component for every seed and evaluates f_t over all of them) and
# probabilities. A keyword a family does not take is refused by the family itself.
MAX_COMPONENTS = 10**4
KWARG_RANGES = {
    "items": Range(1, MAX_COMPONENTS, kind="int", why="components: one weight each per round and seed"),
    "customers": Range(1, MAX_COMPONENTS, kind="int", why="components: one weight each per round and seed"),
    "rows": Range(1, MAX_COMPONENTS, kind="int", why="components: one weight each per round and seed"),
    "density": Range(0.0, 1.0), "sparsity": Range(0.0, 1.0), "p": Range(0.0, 1.0), "p_in": Range(0.0, 1.0),
    "p_out": Range(0.0, 1.0), "cost_scale": Range(0.0, 1e6),
}

FAMILIES.add("coverage", Family(
    _coverage, lambda b: b.weights.shape[0], lambda b, w: SetCoverage(b.probs, b.weights * w), True,
    "weighted coverage; components = items (kwargs: items, density)"))
FAMILIES.add("facility_location", Family(
    _facility, lambda b: b.sorted.shape[0], lambda b, w: b._replace(sorted=b.sorted * w[:, None]), True,
    "facility location; components = customers (kwargs: customers, sparsity)"))
FAMILIES.add("concave_modular", Family(
    _concave, lambda b: b.weights.shape[0], lambda b, w: b._replace(rows=w), True,
    "concave-of-modular, curvature c = experiment.curvature; components = rows (kwargs: rows)"))
FAMILIES.add("er_cut", Family(
    _er, lambda b: b.adjacency.shape[0], lambda b, w: b._replace(w=w), False,
    "graph cut on G(n, p); components = nodes (kwargs: p, weighted)"))
FAMILIES.add("sbm_cut", Family(
    _sbm, lambda b: b.adjacency.shape[0], lambda b, w: b._replace(w=w), False,
    "graph cut on a 2-block SBM; components = nodes (kwargs: p_in, p_out)"))
FAMILIES.add("fl_minus_cost", Family(
    _fl_cost, lambda b: b.location.weights.shape[0],
    lambda b, w: b._replace(location=fn.FacilityLocation(b.location.weights * w[:, None])), False,
    "facility location minus a modular cost, shifted >= 0; components = customers (kwargs: customers, cost_scale)"))


FAMILIES.add("karate_influence", Family(
    _karate_influence, lambda b: b.weights.shape[0], lambda b, w: FastCoverage(b.probs, b.weights * w), True,
    "influence (probabilistic coverage) on Zachary's karate club, n = 34; components = nodes (kwargs: p, weighted)"))
FAMILIES.add("karate_cut", Family(
    _karate_cut, lambda b: b.adjacency.shape[0], lambda b, w: b._replace(w=w), False,
    "graph cut on Zachary's karate club, n = 34; components = nodes (kwargs: weighted)"))


# ---------------------------------------------------------------------------------------------
# Adversaries: keep probabilities p_t[m] and the activity probability q
# ---------------------------------------------------------------------------------------------
class AdvParams(NamedTuple):
    keep: jax.Array  # []   base keep probability
    amplitude: jax.Array  # []
    sign: jax.Array  # [m]  ±1 (switching: which phase favours the component)
    phase: jax.Array  # [m]  drift phases
    period: jax.Array  # []   switching: rounds per phase; drift: rounds per cycle
    q: jax.Array  # []   activity probability


class Adversary(NamedTuple):
    """``keep_at(params, t) -> p_t[m]`` (traced t); ``uses_q``: whether experiment.q applies."""

    keep_at: Callable
    uses_q: bool
    doc: str = ""


ADVERSARIES: Registry[Adversary] = Registry("adversary")


def _constant(p, t):
    return jnp.full(p.sign.shape, p.keep)


def _switching(p, t):
    sq = 1.0 - 2.0 * ((t // p.period) % 2).astype(p.keep.dtype)
    return p.keep + p.amplitude * p.sign * sq


def _drift(p, t):
    return p.keep + p.amplitude * jnp.sin(2.0 * math.pi * t.astype(p.keep.dtype) / p.period + p.phase)


ADVERSARIES.add("iid", Adversary(_constant, False, "i.i.d.: every component kept w.p. keep each round"))
ADVERSARIES.add("sparse", Adversary(_constant, True, "i.i.d., and f_t = 0 w.p. 1 - q (sparse activity)"))
ADVERSARIES.add("switching", Adversary(_switching, False,
                                       "two halves of the components favoured in turn, every `period` rounds"))
ADVERSARIES.add("drift", Adversary(_drift, False, "keep probabilities drift sinusoidally over `period` rounds"))


def mean_keep(adv: Adversary, params: AdvParams, horizon: int) -> np.ndarray:
    """p̄ = (1/T) Σ_{t<T} p_t (NumPy, in blocks)."""
    total = np.zeros(np.shape(params.sign), np.float64)
    f = jax.jit(jax.vmap(lambda t: adv.keep_at(params, t)))
    for start in range(0, horizon, 65536):
        ts = jnp.arange(start, min(start + 65536, horizon), dtype=jnp.int32)
        total += np.asarray(f(ts), np.float64).sum(0)
    return total / horizon


# ---------------------------------------------------------------------------------------------
# Matroids
# ---------------------------------------------------------------------------------------------
MATROIDS = ("uniform", "partition", "none")


def partition_blocks(n: int, n_blocks: int) -> np.ndarray:
    """Contiguous, as equal as possible blocks: element i is in block ⌊i B / n⌋."""
    return (np.arange(n) * n_blocks // n).astype(np.int32)


# ---------------------------------------------------------------------------------------------
# The environment
# ---------------------------------------------------------------------------------------------
class SubParams(NamedTuple):
    base: Any  # the family's base instance
    adv: AdvParams
    scale: jax.Array  # []
    alpha: jax.Array  # []
    opt_mask: jax.Array  # bool[n]  S*, maximiser of the expected sum (the comparator)


class SubState(NamedTuple):
    t: jax.Array  # int32
    collected: KahanSum
    comparator: KahanSum
    pseudo: KahanSum  # Σ α E f_s(S*) - E f_s(S_s)
    calls: KahanSum


class Act(NamedTuple):
    """What every registered policy plays: the set, its oracle calls this round, the policy's own action."""

    mask: jax.Array  # bool[n]
    calls: jax.Array  # []
    inner: Any


def act_check(blocks=(), caps=()) -> ActionCheck:
    """A valid play: a boolean mask of the n elements inside the matroid (at most ``caps[b]`` elements of block
    ``b``; no blocks: unconstrained, USM) and a finite, non-negative count of oracle calls."""
    onehot = np.eye(len(caps), dtype=np.int32)[np.asarray(blocks, np.int32)] if len(caps) else None  # [n, blocks]

    def holds(seen, params: SubParams):
        mask, calls = (jnp.asarray(x) for x in seen)
        n = params.opt_mask.shape[0]
        if not (mask.shape == (n,) and mask.dtype == jnp.bool_):  # static: a constant condition
            return jnp.array([False, True, True])
        inside = jnp.bool_(True) if onehot is None else \
            (mask.astype(jnp.int32) @ jnp.asarray(onehot) <= jnp.asarray(caps, jnp.int32)).all()
        return jnp.stack([jnp.bool_(True), inside, jnp.isfinite(calls) & (calls >= 0)])

    return ActionCheck(names=("the set is a boolean mask of the n elements", "the set is independent in the "
                              "matroid (at most caps[b] elements of block b)", "oracle calls finite and >= 0"),
                       holds=holds, view=lambda act: (act.mask, act.calls))  # (not the policy's own part)


def environment(family: Family, adversary: Adversary, blocks=(), caps=()) -> Environment:
    """Full information: the observation of round t is f_t itself; plays are checked against the matroid
    (``blocks``, ``caps``; none for USM)."""

    def reset(key, params: SubParams):
        z = KahanSum.zeros((), params.scale.dtype)
        return SubState(jnp.zeros((), jnp.int32), z, z, z, z)

    def sample(key, rounds, params: SubParams):
        m = params.adv.sign.shape[0]
        return core_rng.uniform(key, (rounds, m + 1)).astype(params.scale.dtype)

    def step(u, state: SubState, action: Act, params: SubParams):
        p = adversary.keep_at(params.adv, state.t)
        m = p.shape[0]
        w = (u[:m] < p).astype(p.dtype)
        a = (u[m] < params.adv.q).astype(p.dtype) * params.scale
        f = Scaled(family.apply(params.base, w), a)
        fbar = Scaled(family.apply(params.base, p), params.adv.q * params.scale)
        mask = action.mask
        r, rc = f.value(mask), f.value(params.opt_mask)
        pr = params.alpha * fbar.value(params.opt_mask) - fbar.value(mask)
        new = SubState(state.t + 1, state.collected.add(r), state.comparator.add(rc), state.pseudo.add(pr),
                       state.calls.add(jnp.asarray(action.calls, p.dtype)))
        return new, f

    def metrics(state: SubState, params: SubParams):
        col, comp = state.collected.value, state.comparator.value
        return {"collected_value": col, "comparator_value": comp, "alpha_regret": params.alpha * comp - col,
                "regret_vs_best_found": comp - col, "pseudo_alpha_regret": state.pseudo.value,
                "oracle_calls": state.calls.value}

    return Environment(reset=reset, sample=sample, step=step, metrics=metrics, validate=act_check(blocks, caps))
