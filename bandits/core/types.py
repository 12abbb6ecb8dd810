"""The small set of interfaces every paper module builds on.

Style follows optax (an algorithm is a NamedTuple of pure functions built by a
factory that closes over hyper-parameters) and gymnax (an environment keeps its
static parameters apart from its state, so one can ``vmap`` over both).

Randomness is *pre-drawn in bulk*: the runner asks a simulation for the noise of
a whole chunk of rounds at once (one PRNG call per chunk instead of one per
round), then scans over it. On CPU this is several times faster than splitting a
key every round, and it keeps the draws of seed ``s`` a pure function of
``(base_seed, s, chunk index)``.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

import jax

PyTree = Any
Array = jax.Array


class Policy(NamedTuple):
    """A learning algorithm as pure functions (optax-like).

    init(params) -> state
    sample(key, rounds, params) -> noise pytree with leading axis ``rounds`` (or None)
    select(state, noise_t, t, params) -> action        # t: 0-based round index
    update(state, action, observation, params) -> state
    """

    init: Callable[[PyTree], PyTree]
    select: Callable[[PyTree, PyTree, Array, PyTree], PyTree]
    update: Callable[[PyTree, PyTree, PyTree, PyTree], PyTree]
    sample: Optional[Callable[[Array, int, PyTree], PyTree]] = None


class Environment(NamedTuple):
    """A stochastic environment (gymnax-like: static ``params`` apart from ``state``).

    reset(key, params) -> state
    sample(key, rounds, params) -> noise pytree with leading axis ``rounds``
    step(noise_t, state, action, params) -> (state, observation)
    metrics(state, params) -> dict of scalars recorded on the checkpoint grid
    """

    reset: Callable[[Array, PyTree], PyTree]
    sample: Callable[[Array, int, PyTree], PyTree]
    step: Callable[[PyTree, PyTree, PyTree, PyTree], tuple]
    metrics: Callable[[PyTree, PyTree], dict]


class Simulation(NamedTuple):
    """What the runner executes for one seed: a closed system stepping in rounds.

    init(key) -> carry
    sample(key, rounds) -> noise pytree with leading axis ``rounds``
    step(carry, noise_t, t) -> carry                  # t: 0-based round index
    metrics(carry) -> dict of scalars
    stopped(carry) -> bool scalar, for stopping-time runs (None: never stops)
    """

    init: Callable[[Array], PyTree]
    sample: Callable[[Array, int], PyTree]
    step: Callable[[PyTree, PyTree, Array], PyTree]
    metrics: Callable[[PyTree], dict]
    stopped: Optional[Callable[[PyTree], Array]] = None


def interact(policy: Policy, env: Environment, params: PyTree) -> Simulation:
    """The agent-environment loop: each round the policy acts, the env answers.

    Environment noise and policy noise come from independent sub-streams of the
    chunk key, so every policy run on the same seed sees *the same environment
    draws* (common random numbers; paired comparisons across algorithms).
    """

    def init(key):
        return policy.init(params), env.reset(key, params)

    def sample(key, rounds):
        env_noise = env.sample(jax.random.fold_in(key, 0), rounds, params)
        pol_noise = (
            None if policy.sample is None else policy.sample(jax.random.fold_in(key, 1), rounds, params)
        )
        return env_noise, pol_noise

    def step(carry, noise_t, t):
        pstate, estate = carry
        env_noise, pol_noise = noise_t
        action = policy.select(pstate, pol_noise, t, params)
        estate, obs = env.step(env_noise, estate, action, params)
        pstate = policy.update(pstate, action, obs, params)
        return pstate, estate

    def metrics(carry):
        return env.metrics(carry[1], params)

    return Simulation(init=init, sample=sample, step=step, metrics=metrics)


def combine(main: Simulation, *others: Simulation) -> Simulation:
    """Run several simulations in lock-step on one clock; metrics are merged.

    Every component receives the same chunk key, so each must draw from its own
    sub-stream (``interact`` uses sub-streams 0 and 1; other components pick
    their own constant). Then a component's draws are identical whether it runs
    alone or inside a combination -- e.g. the ATA paper's SGD run once per seed
    versus run inside each allocation method.
    """
    sims = (main,) + others

    def init(key):
        return tuple(s.init(key) for s in sims)

    def sample(key, rounds):
        return tuple(s.sample(key, rounds) for s in sims)

    def step(carry, noise_t, t):
        return tuple(s.step(c, n, t) for s, c, n in zip(sims, carry, noise_t))

    def metrics(carry):
        out = {}
        for s, c in zip(sims, carry):
            out.update(s.metrics(c))
        return out

    stopped = None if main.stopped is None else (lambda carry: main.stopped(carry[0]))
    return Simulation(init=init, sample=sample, step=step, metrics=metrics, stopped=stopped)
