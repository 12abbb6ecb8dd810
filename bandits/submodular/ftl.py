"""Follow-the-leader baselines (spec §6): each round, an offline algorithm on F_{t-1} = Σ_{s<t} f_s.

- ``ftl_greedy`` (monotone, partition matroid): offline matroid greedy on F_{t-1}.
- ``ftl_double_greedy`` (USM): deterministic double greedy (Buchbinder, Feldman, Naor, Schwartz 2012) on F_{t-1}.

Fixed memory. Full information reveals f_t as a family pytree (``instances``: f_t = a_t · g(·; θ_t), a
``Scaled`` wrapper around a family instance). FTL needs the whole past sum, so it is implementable with O(1)
memory only when Σ_s f_s is again one function of the family: every family of the suite is **affine in a
linear parameter field** θ (a field of the pytree; the others are the base instance's constants, the same
every round):

    family (observation type)       linear field θ       g(·; 0)
    coverage (Set/FastCoverage, Coverage) weights [m]     0
    facility location                  weights [m, n]     0            (SortedFacilityLocation: sorted)
    concave-of-modular (RowConcave)    rows [J]           0
    graph cut (NodeCut)                w [n]              0            (fn.GraphCut: adjacency)
    FL minus cost                      location.weights   (cᵀ(1 - 1_S)) / (1 + Σc)   (affine, not linear)

For g(S; θ) = lin(S; θ) + const(S):  Σ_s a_s g(S; θ_s) = A · g(S; Θ / A),  A = Σ_s a_s,  Θ = Σ_s a_s θ_s,
so the state is (Θ, A) plus the constant fields (copied from the latest observation), all of one
observation's shapes; Θ and A are compensated (Kahan) sums. Observation types not in ``LINEAR_FIELDS``
(e.g. ``functions.ConcaveModular``, whose φ_c is not affine in its weights) raise a ValueError at build time:
FTL on them would need every past f_s (memory growing with T). The constant fields are assumed fixed over
rounds (true for every adversary of ``instances``: only the component weights and the activity vary).

Before the first observation F_0 ≡ 0: every comparison ties and both algorithms play their tie-break
(lowest index: the first caps[b] elements in index order, respectively V). Ties go to the lowest index
and to "add" (a >= b), as in ``comparators.greedy`` / ``comparators.double_greedy``.

Oracle calls a round count evaluations of F_{t-1} (one evaluation of a function of the family's size, from
the stored parameters; with only value oracles of the f_s each would cost t - 1 calls): ``ftl_greedy`` k·n
(n candidate sets per greedy step, evaluated vectorised), ``ftl_double_greedy`` 2n + 2 (F(∅), F(V), then
F(X + i), F(Y - i) per element, the current F(X), F(Y) carried).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from bandits.core.numerics import KahanSum
from bandits.core.types import Policy

from . import functions as fn
from .instances import FastCoverage, NodeCut, RowConcave, Scaled, SetCoverage, SortedFacilityLocation
from .monotone_policy import partition_matroid

LINEAR_FIELDS = {
    FastCoverage: ("weights",),
    SetCoverage: ("weights",),
    fn.Coverage: ("weights",),
    fn.FacilityLocation: ("weights",),
    SortedFacilityLocation: ("sorted",),
    RowConcave: ("rows",),
    NodeCut: ("w",),
    fn.GraphCut: ("adjacency",),
    fn.FacilityLocationMinusCost: ("location",),
}


class Leader(NamedTuple):
    """The running sum F_t = Σ_{s<=t} f_s in one observation's memory."""

    inner: Any  # the latest observed family instance, its linear fields replaced by Θ = Σ_s a_s θ_s
    comp: Any  # Kahan compensation of Θ (a tuple over the linear fields)
    mass: KahanSum  # A = Σ_s a_s
    seen: jax.Array  # bool[]  at least one f_s observed


class Accumulator(NamedTuple):
    """init() -> Leader;  add(leader, f_t) -> leader;  function(leader) -> F (``value(mask)``)."""

    init: Callable[[], Leader]
    add: Callable[[Leader, Any], Leader]
    function: Callable[[Leader], Any]


def accumulator(observation) -> Accumulator:
    """The running sum of revealed functions shaped like ``observation``.

    Args:
        observation: a pytree with the structure, shapes and dtypes of the revealed f_t (arrays or
            ``jax.ShapeDtypeStruct``; values are not read): ``instances.Scaled(inner, a)`` or a bare family.
    Raises:
        ValueError: the family is not affine in a parameter field (see ``LINEAR_FIELDS``).
    """
    scaled = isinstance(observation, Scaled)
    inner0 = observation.inner if scaled else observation
    fields = LINEAR_FIELDS.get(type(inner0))
    if fields is None:
        supported = ", ".join(sorted(t.__name__ for t in LINEAR_FIELDS))
        raise ValueError(f"follow-the-leader needs Σ_s f_s in fixed memory, i.e. a family affine in a parameter "
                         f"field; observations of type {type(inner0).__name__} are not supported (supported: "
                         f"{supported})")
    zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), inner0)
    a_dtype = observation.a.dtype if scaled else jax.tree.leaves(zeros)[0].dtype

    def parts(inner):
        return tuple(getattr(inner, name) for name in fields)

    def init() -> Leader:
        return Leader(inner=zeros, comp=jax.tree.map(jnp.zeros_like, parts(zeros)),
                      mass=KahanSum.zeros((), a_dtype), seen=jnp.zeros((), bool))

    def add(leader: Leader, f) -> Leader:
        inner, a = (f.inner, f.a) if scaled else (f, jnp.ones((), a_dtype))

        totals, tree = jax.tree.flatten(parts(leader.inner))
        sums = [KahanSum(total, comp).add((a * x).astype(total.dtype))
                for total, comp, x in zip(totals, jax.tree.leaves(leader.comp), jax.tree.leaves(parts(inner)))]
        new = tree.unflatten([s.total for s in sums])
        return Leader(inner=inner._replace(**dict(zip(fields, new))), comp=tree.unflatten([s.comp for s in sums]),
                      mass=leader.mass.add(jnp.asarray(a, a_dtype)), seen=jnp.ones((), bool))

    def function(leader: Leader):
        """F = A · g(·; Θ / A) (0 while A = 0, when Θ = 0 too)."""
        A = leader.mass.value
        inv = jnp.where(A > 0, 1.0 / jnp.where(A > 0, A, 1.0), 0.0)
        mean = jax.tree.map(lambda x: (x * inv).astype(x.dtype), parts(leader.inner))
        return Scaled(leader.inner._replace(**dict(zip(fields, mean))), A)

    return Accumulator(init=init, add=add, function=function)


def ftl_greedy_calls(n: int, k: int) -> int:
    return k * n


def ftl_double_greedy_calls(n: int) -> int:
    return 2 * n + 2


def ftl_greedy(blocks, caps, observation) -> Policy:
    """Follow-the-leader greedy over a partition matroid (a uniform matroid is one block).

        state: F_{t-1} = Σ_{s<t} f_s (``accumulator``)
        select: S = ∅; repeat k times: S <- S + argmax_{i ∉ S, |S ∩ b(i)| < caps[b(i)]} F_{t-1}(S + i)
        update: F_t = F_{t-1} + f_t

    Deterministic (no noise); S_1 (F_0 ≡ 0) is the first caps[b] elements of each block in index order.
    Args:
        blocks: int[n] block of each element; caps: int[B] capacities (static).
        observation: the revealed f_t's structure (see ``accumulator``); raises ValueError if unsupported.
    Returns:
        Policy; select returns the mask bool[n] of a base; update expects f_t.
    """
    blocks_np, caps_np, n, k = partition_matroid(blocks, caps)
    blocks_j, caps_j = jnp.asarray(blocks_np), jnp.asarray(caps_np)
    n_blocks = len(caps_np)
    acc = accumulator(observation)
    eye = jnp.eye(n, dtype=bool)

    def select(leader: Leader, noise, t, known):
        F = acc.function(leader)

        def step(taken, _):
            used = jax.ops.segment_sum(taken.astype(jnp.int32), blocks_j, num_segments=n_blocks)  # [B]
            ok = ~taken & (used[blocks_j] < caps_j[blocks_j])
            vals = jnp.where(leader.seen, jax.vmap(lambda e: F.value(taken | e))(eye), 0.0)  # [n]
            i = jnp.argmax(jnp.where(ok, vals, -jnp.inf))
            return taken.at[i].set(True), None

        taken, _ = jax.lax.scan(step, jnp.zeros(n, bool), None, length=k)
        return taken

    return Policy(init=lambda known: acc.init(), select=select,
                  update=lambda leader, mask, f, known: acc.add(leader, f))


def ftl_double_greedy(n: int, observation) -> Policy:
    """Follow-the-leader double greedy (USM).

        state: F_{t-1} = Σ_{s<t} f_s (``accumulator``)
        select: X = ∅, Y = V; for i = 1..n: a = F(X + i) - F(X), b = F(Y - i) - F(Y);
                a >= b: X <- X + i, else Y <- Y - i;  play X (= Y)
        update: F_t = F_{t-1} + f_t

    Deterministic double greedy is a 1/3-approximation offline, so FTL on it has no better guarantee (and FTL
    has linear regret against adaptive adversaries); S_1 = V (F_0 ≡ 0, every tie goes to "add").
    Args:
        n: ground-set size (static).
        observation: the revealed f_t's structure (see ``accumulator``); raises ValueError if unsupported.
    Returns:
        Policy; select returns the mask bool[n]; update expects f_t.
    """
    acc = accumulator(observation)
    n = int(n)

    def select(leader: Leader, noise, t, known):
        F = acc.function(leader)
        value = lambda m: jnp.where(leader.seen, F.value(m), 0.0)  # noqa: E731

        def step(carry, i):
            X, Y, fX, fY = carry
            Xi, Yi = X.at[i].set(True), Y.at[i].set(False)
            fXi, fYi = value(Xi), value(Yi)
            add = (fXi - fX) >= (fYi - fY)
            return (jnp.where(add, Xi, X), jnp.where(add, Y, Yi), jnp.where(add, fXi, fX),
                    jnp.where(add, fY, fYi)), None

        X0, Y0 = jnp.zeros(n, bool), jnp.ones(n, bool)
        (X, _, _, _), _ = jax.lax.scan(step, (X0, Y0, value(X0), value(Y0)), jnp.arange(n))
        return X

    return Policy(init=lambda known: acc.init(), select=select,
                  update=lambda leader, mask, f, known: acc.add(leader, f))

