"""The expert interface: a family of K self-learning experts stacked along a leading axis.

An ``ExpertFamily`` is a NamedTuple of pure functions (optax-like), so every
meta-algorithm works with every family. ``z`` is one round's outcome (drawn by
``sample``); ``oracle`` is the environment's hidden truth (theta*, true means,
...), passed only to the environment-side functions (``sample``,
``advice_excess``, ``benchmark_loss``), never to a policy.

  init() -> state                         every leaf has leading axis K
  raw_loss(state, z) -> [K]               l(raw advice phi_i(theta_i), z) in [0, 1]
  update(state, z) -> state               one training session of *every* expert (see ``train``)
  advice_loss(state, z) -> [K]            l(safe advice of i, z) in [0, 1]  (eq. 7: from the past states)
  advice_excess(state, z, oracle) -> [K]  E[l(safe advice of i, z') | context of z] - benchmark loss
                                          (the pseudo-regret increment: Rao-Blackwellised, low variance)
  benchmark_loss(z, oracle) -> scalar     realized loss of the benchmark (best expert's best state)
  sample(key, rounds, oracle) -> z        rounds i.i.d. outcomes, leading axis ``rounds``
  bound: RegretBound                      R_i(n, delta) (Assumption 2), known to the meta-algorithm
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from .confidence import RegretBound


class ExpertFamily(NamedTuple):
    init: Callable[[], Any]
    raw_loss: Callable[[Any, Any], jax.Array]
    update: Callable[[Any, Any], Any]
    advice_loss: Callable[[Any, Any], jax.Array]
    advice_excess: Callable[[Any, Any, Any], jax.Array]
    benchmark_loss: Callable[[Any, Any], jax.Array]
    sample: Callable[[jax.Array, int, Any], Any]
    bound: RegretBound
    names: tuple = ()


def train(family: ExpertFamily, state, z, mask: jax.Array):
    """Update the experts of ``mask`` (bool[K]) on z; the others stay bit-identical (jnp.where per leaf)."""
    new = family.update(state, z)

    def pick(a, b):
        return jnp.where(mask.reshape(mask.shape + (1,) * (a.ndim - 1)), a, b)

    return jax.tree_util.tree_map(pick, new, state)
