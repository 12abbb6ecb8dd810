"""Uniform baseline (Appendix I): the uniform allocation, C-tracked (round-robin with ties to the
lowest index), with the same stopping rules and recommendations as LATS / LAGEX. It reads nothing of F_hat_t, so
under a stopping rule other than the paper's the loop skips the enlarged set's vertex enumeration."""
from __future__ import annotations

import jax.numpy as jnp

from bandits.core.types import Policy

from .machinery import Config, Context, Rule, explorer


def uniform_rule() -> Rule:
    def init(K, d, dtype):
        return jnp.zeros((), dtype)

    def step(state, ctx: Context):
        K = ctx.mu_hat.shape[0]
        return jnp.full(K, 1.0 / K, ctx.mu_hat.dtype), state

    return Rule(init=init, step=step, uses_polytope=False)


def uniform(cfg: Config = Config()) -> Policy:
    return explorer(uniform_rule(), cfg)
