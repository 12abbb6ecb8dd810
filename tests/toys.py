"""Toy problems for the core's tests: no paper module is imported here.

* ``gaussian_bandit``: K Gaussian arms (the environment holds the true means).
* ``epsilon_greedy``: a learner that sees only K (its view), with its own noise.
* ``random_walk_until``: a +-1 walk stopped at |S_t| >= threshold.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from bandits.core import Environment, Policy, Simulation, interact


class BanditParams(NamedTuple):
    means: jax.Array  # [K] the oracle: only the environment sees it


class BanditView(NamedTuple):
    K: int


def gaussian_bandit() -> Environment:
    def reset(key, params):
        return (jnp.zeros(()), jnp.zeros(()))  # (reward sum, pseudo-regret)

    def sample(key, rounds, params):
        return jax.random.normal(key, (rounds, params.means.shape[0]))

    def step(z, state, arm, params):
        reward = params.means[arm] + z[arm]
        return (state[0] + reward, state[1] + params.means.max() - params.means[arm]), reward

    def metrics(state, params):
        return {"reward": state[0], "regret": state[1]}

    return Environment(reset, sample, step, metrics)


def epsilon_greedy(eps: float = 0.1) -> Policy:
    def init(view):
        return jnp.zeros(view.K), jnp.zeros(view.K)

    def sample(key, rounds, view):
        k1, k2 = jax.random.split(key)
        return jax.random.uniform(k1, (rounds,)), jax.random.randint(k2, (rounds,), 0, view.K)

    def select(state, noise, t, view):
        u, random_arm = noise
        sums, counts = state
        means = jnp.where(counts > 0, sums / jnp.maximum(counts, 1), jnp.inf)
        return jnp.where(u < eps, random_arm, jnp.argmax(means)).astype(jnp.int32)

    def update(state, arm, reward, view):
        sums, counts = state
        return sums.at[arm].add(reward), counts.at[arm].add(1)

    return Policy(init=init, select=select, update=update, sample=sample)


def bandit_sim(means=(0.0, 0.5, 1.0), eps=0.1) -> Simulation:
    means = jnp.asarray(means, jnp.float32)
    return interact(epsilon_greedy(eps), gaussian_bandit(), BanditView(K=int(means.shape[0])), BanditParams(means))


def random_walk_until(threshold) -> Simulation:
    return Simulation(
        init=lambda key: jnp.int32(0),
        sample=lambda key, rounds: jax.random.rademacher(key, (rounds,), dtype=jnp.int32),
        step=lambda s, x, t: s + x,
        metrics=lambda s: {"position": s.astype(jnp.float32)},
        stopped=lambda s, t: jnp.abs(s) >= threshold,
    )
