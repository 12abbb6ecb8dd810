"""Online double greedy for unconstrained submodular maximisation with per-element Blackwell
balance learners (spec §4, paper Section 4; the learners are entropic ODA over the quarter disc).

Full information: the observation of round t is f_t (a family pytree with ``value``).

    one learner per element i: ODA over X = B₂(1) ∩ R²_{>=0}, x₁ = (1, 1)/√2, D = 2 (Claim 4.9)
    for t = 1, 2, ...:
        p_{t,i} = halfspace_oracle(a_{t,i})  for every i      (a_{t,i}: learner i's iterate)
        X₀ = ∅, Y₀ = V; for i = 1..n: with probability p_{t,i} add i to X, else remove i from Y
        play S_t = X_n; observe f_t
        Δ⁺_{t,i} = f_t(X_{i-1} + i) - f_t(X_{i-1}),  Δ⁻_{t,i} = f_t(Y_{i-1} - i) - f_t(Y_{i-1})
        learner i pays c = -(2/3) u(p_{t,i}, Δ_{t,i})            (``blackwell.payoff_cost``)

The learners' iterates do not change within a round, so the n coin flips are independent given
the p's: with pre-drawn uniforms v_t[n], S_t = {i : v_{t,i} < p_{t,i}}, X_{i-1} = S_t ∩ {1..i-1}
and Y_{i-1} = S_t ∪ {i..n}. Oracle calls per round: 2n + 2 -- f on X_{i-1}+i and Y_{i-1}-i for every i, on
X_0 = ∅ and Y_0 = V; f(X_{i-1}) is f(X_{j-1}+j) for the last j < i kept (X_{i-1} = X_{j-1}+j), or f(∅), and
f(Y_{i-1}) likewise f(Y_{j-1}-j) for the last j < i dropped, or f(V) (the chain of the sequential algorithm).
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp

from bandits.core.types import Policy

from .blackwell import BalanceState, balance_init, balance_probs, balance_update, direction_learner


class USMPlay(NamedTuple):
    mask: jax.Array  # bool[n]  S_t = X_n
    probs: jax.Array  # [n]     p_{t,i}


def oracle_calls_per_round(n: int) -> int:
    return 2 * n + 2


def _carried(values, start, moved, before):
    """f of the chain's set before each step i: ``values[j]`` (f after step j) for the last j < i that ``moved``
    the set, else ``start`` (f of the first set). values, moved [n]; before bool[n, n] (row i: j < i)."""
    n = values.shape[0]
    last = jnp.max(jnp.where(moved[None, :] & before, jnp.arange(n)[None, :], -1), axis=1)  # [n]
    return jnp.where(last >= 0, values[jnp.maximum(last, 0)], start)


def marginal_gains(f, mask):
    """(Δ⁺[n], Δ⁻[n]) along the double-greedy chain that produced ``mask`` (2n + 2 evaluations of f)."""
    n = mask.shape[0]
    idx = jnp.arange(n)
    before = idx[None, :] < idx[:, None]  # row i: {1..i-1}
    eye = jnp.eye(n, dtype=bool)
    X = mask[None, :] & before  # X_{i-1}
    Y = mask[None, :] | ~before  # Y_{i-1} = S ∪ {i..n}
    fv = jax.vmap(f.value)
    f_add = fv(X | eye)  # f(X_{i-1} + i)  = f(X_i) where i is kept
    f_drop = fv(Y & ~eye)  # f(Y_{i-1} - i) = f(Y_i) where i is dropped
    ends = fv(jnp.stack([jnp.zeros(n, bool), jnp.ones(n, bool)]))  # f(∅), f(V)
    dplus = f_add - _carried(f_add, ends[0], mask, before)
    dminus = f_drop - _carried(f_drop, ends[1], ~mask, before)
    return dplus, dminus


def online_double_greedy(n: int, step: str = "first_order", horizon: Optional[int] = None, dtype=jnp.float32) -> Policy:
    """Online double greedy with Blackwell balance learners (½-regret O(√(nT)) in the paper).

    Args:
        n: ground-set size (static).
        step: "first_order" (Corollary B.3) or "fixed" (η = sqrt(D/T), needs ``horizon``).
        horizon: T, for step="fixed".
        dtype: learner state dtype.
    Returns:
        Policy(init, select, update, sample); ``known`` is not read. select returns
        ``USMPlay(mask, probs)``; update expects the revealed f_t as observation.
    """
    return balance_policy(direction_learner(step=step, horizon=horizon, dtype=dtype), n, dtype)


def balance_policy(learner, n: int, dtype=jnp.float32) -> Policy:
    """Online double greedy with one balance learner per element (``learner``: the per-element game's
    learner, e.g. ``direction_learner`` or Roughgarden–Wang's 2-experts Hedge): coins v_t[n] pre-drawn,
    element i kept iff v_t[i] < p_{t,i}; after f_t every learner gets its marginal gains (Δ⁺, Δ⁻)."""

    def init(known) -> BalanceState:
        return balance_init(learner, n)

    def sample(key, rounds, known):
        return jax.random.uniform(key, (rounds, n), dtype)

    def select(state: BalanceState, v, t, known) -> USMPlay:
        p = balance_probs(state)
        return USMPlay(mask=v < p, probs=p)

    def update(state: BalanceState, action: USMPlay, f, known) -> BalanceState:
        dplus, dminus = marginal_gains(f, action.mask)
        return balance_update(learner, state, action.probs, dplus.astype(dtype), dminus.astype(dtype))

    return Policy(init=init, select=select, update=update, sample=sample)
