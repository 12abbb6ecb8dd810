"""A self-contained one-seed loop (tests, reference parity) and a ``Simulation`` adapter.

Mirrors ``bandits.core.types.interact`` with the learner's view ``known`` kept
apart from the environment's ``params``: environment noise from sub-stream 0
of the key, the policy's from sub-stream 1, so every policy on a seed sees the
same z-stream.
"""
from __future__ import annotations

from typing import Callable, Optional

import jax
import jax.numpy as jnp

from bandits.core.types import Environment, Policy, Simulation

ENV_STREAM, POLICY_STREAM = 0, 1  # same constants as bandits.core (environment / policy sub-streams)


def draw(policy: Policy, env: Environment, known, params, key, rounds: int):
    env_noise = env.sample(jax.random.fold_in(key, ENV_STREAM), rounds, params)
    pol_noise = None if policy.sample is None else policy.sample(jax.random.fold_in(key, POLICY_STREAM), rounds, known)
    return env_noise, pol_noise


def simulation(policy: Policy, env: Environment, known, params) -> Simulation:
    """The agent-environment loop as a runner ``Simulation``."""

    def init(key):
        return policy.init(known), env.reset(key, params)

    def sample(key, rounds):
        return draw(policy, env, known, params, key, rounds)

    def step(carry, noise_t, t):
        pstate, estate = carry
        env_noise, pol_noise = noise_t
        action = policy.select(pstate, pol_noise, t, known)
        estate, obs = env.step(env_noise, estate, action, params)
        return policy.update(pstate, action, obs, known), estate

    return Simulation(init=init, sample=sample, step=step, metrics=lambda carry: env.metrics(carry[1], params))


def run(policy: Policy, env: Environment, known, params, key, rounds: int,
        trace: Optional[Callable] = None, noise=None):
    """One seed, one chunk: returns (policy state, env state, stacked trace(pstate, estate, action, obs, z) per round).

    ``noise``: pre-drawn (env_noise, policy_noise) to replay exact data (default: drawn from ``key``).
    """
    noise = draw(policy, env, known, params, key, rounds) if noise is None else noise

    def body(carry, xs):
        pstate, estate = carry
        (z, pn), t = xs
        action = policy.select(pstate, pn, t, known)
        estate2, obs = env.step(z, estate, action, params)
        pstate2 = policy.update(pstate, action, obs, known)
        out = None if trace is None else trace(pstate, estate, action, obs, z)
        return (pstate2, estate2), out

    init = (policy.init(known), env.reset(key, params))
    (pstate, estate), out = jax.lax.scan(body, init, (noise, jnp.arange(rounds, dtype=jnp.int32)))
    return pstate, estate, out
