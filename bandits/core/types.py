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
import jax.numpy as jnp

from . import streams

PyTree = Any
Array = jax.Array


class Policy(NamedTuple):
    """A learning algorithm as pure functions (optax-like).

    ``known`` is the learner's view of the problem: what it may know (budget,
    sizes, known parameters), never the oracle (true means, optimal answers,
    unknown constraints), which only the environment and the metrics see.

    init(known) -> state
    sample(key, rounds, known) -> noise pytree with leading axis ``rounds`` (or None)
    select(state, noise_t, t, known) -> action        # t: 0-based round index
    update(state, action, observation, known) -> state
    stopped(state, t, known) -> bool scalar            # pure exploration: stop after round t (optional)
    recommend(state, known) -> answer pytree           # pure exploration: the final answer (optional)
    """

    init: Callable[[PyTree], PyTree]
    select: Callable[[PyTree, PyTree, Array, PyTree], PyTree]
    update: Callable[[PyTree, PyTree, PyTree, PyTree], PyTree]
    sample: Optional[Callable[[Array, int, PyTree], PyTree]] = None
    stopped: Optional[Callable[[PyTree, Array, PyTree], Array]] = None
    recommend: Optional[Callable[[PyTree, PyTree], PyTree]] = None


class ActionCheck(NamedTuple):
    """What makes an action valid in an environment: named conditions on one action.

    names  what each condition asserts, e.g. ("units >= 0", "units sum to the budget B")
    holds(seen, params) -> bool[len(names)]: whether each holds for ``seen = view(action)`` (shapes and dtypes,
           which are static, give constant answers)
    view(action) -> the parts of the action the conditions read (default: all of it; an action that carries a
           policy's own state is best viewed smaller)

    The runner checks every round's action (``Simulation.step_seen`` and ``invalid``), keeps each seed's first
    invalid round beside the scan's state, reads it once per chunk (stopping-time runs) or batch, and fails
    the job naming the algorithm, the round and the condition: an invalid action (NaN scores turned into an
    allocation that loses tasks, a set outside the matroid) never reaches the results.
    """

    names: tuple
    holds: Callable[[PyTree, PyTree], Array]
    view: Optional[Callable[[PyTree], PyTree]] = None


class Environment(NamedTuple):
    """A stochastic environment (gymnax-like: static ``params`` apart from ``state``).

    reset(key, params) -> state
    sample(key, rounds, params) -> noise pytree with leading axis ``rounds``
    step(noise_t, state, action, params) -> (state, observation)
    metrics(state, params) -> dict of scalars recorded on the checkpoint grid
    assess(answer, params) -> dict of scalars judging a policy's recommendation (optional;
                              pure exploration: correctness, feasibility, ...)
    validate: ActionCheck, what a valid action is (optional; every paper's environment has one)

    ``params`` holds everything the environment needs, oracle included; a policy
    never receives it (see ``Policy``: it gets the learner's view ``known``).
    """

    reset: Callable[[Array, PyTree], PyTree]
    sample: Callable[[Array, int, PyTree], PyTree]
    step: Callable[[PyTree, PyTree, PyTree, PyTree], tuple]
    metrics: Callable[[PyTree, PyTree], dict]
    assess: Optional[Callable[[PyTree, PyTree], dict]] = None
    validate: Optional[ActionCheck] = None


class Simulation(NamedTuple):
    """What the runner executes for one seed: a closed system stepping in rounds.

    init(key) -> carry
    sample(key, rounds) -> noise pytree with leading axis ``rounds``
    step(carry, noise_t, t) -> carry                  # t: 0-based round index
    metrics(carry) -> dict of scalars
    stopped(carry, t) -> bool scalar, after t rounds played (stopping-time runs; None: never stops)
    step_seen(carry, noise_t, t) -> (carry, seen): ``step`` and what its action shows the environment's check
                     (None: actions are not checked)
    invalid(seen) -> int32 scalar: 0 if that action is valid, else 1 + the index of the first condition of
                     ``conditions`` it breaks
    """

    init: Callable[[Array], PyTree]
    sample: Callable[[Array, int], PyTree]
    step: Callable[[PyTree, PyTree, Array], PyTree]
    metrics: Callable[[PyTree], dict]
    stopped: Optional[Callable[[PyTree, Array], Array]] = None
    step_seen: Optional[Callable[[PyTree, PyTree, Array], tuple]] = None
    invalid: Optional[Callable[[PyTree], Array]] = None
    conditions: tuple = ()


def beside(sim: Simulation, init: Callable[[], PyTree], update: Callable[[PyTree, PyTree], PyTree],
           metrics: Callable[[PyTree, PyTree], dict]) -> Simulation:
    """``sim`` with a state of its own carried beside ``sim``'s: the carry is (sim's carry, extra).

    init() -> extra; update(extra, carry) -> extra, after each round (``carry``: sim's, after that round);
    metrics(extra, carry) -> dict, merged over ``sim``'s metrics. The stopping rule and the action checks
    are ``sim``'s (e.g. counters of the rounds an algorithm's state breaks a constraint).
    """

    def step(carry, noise_t, t):
        inner = sim.step(carry[0], noise_t, t)
        return inner, update(carry[1], inner)

    def step_seen(carry, noise_t, t):
        inner, seen = sim.step_seen(carry[0], noise_t, t)
        return (inner, update(carry[1], inner)), seen

    return sim._replace(init=lambda key: (sim.init(key), init()), step=step,
                        step_seen=None if sim.step_seen is None else step_seen,
                        metrics=lambda carry: {**sim.metrics(carry[0]), **metrics(carry[1], carry[0])},
                        stopped=None if sim.stopped is None else (lambda carry, t: sim.stopped(carry[0], t)))


def interact(policy: Policy, env: Environment, known: PyTree, params: PyTree) -> Simulation:
    """The agent-environment loop: each round the policy acts, the env answers.

    The policy receives only ``known`` (the learner's view); the environment
    receives ``params`` (oracle included). Environment noise and policy noise
    come from independent sub-streams of the chunk key, so every policy run on
    the same seed sees *the same environment draws* (common random numbers;
    paired comparisons across algorithms). With a ``recommend`` function and an
    environment that can ``assess`` answers, the metrics include the judgement
    of the current recommendation.
    """

    check = env.validate
    view = (check.view or (lambda a: a)) if check is not None else None

    def init(key):
        return policy.init(known), env.reset(key, params)

    def sample(key, rounds):
        env_noise = env.sample(streams.sub(key, streams.ENVIRONMENT), rounds, params)
        pol_noise = (
            None if policy.sample is None else policy.sample(streams.sub(key, streams.POLICY), rounds, known)
        )
        return env_noise, pol_noise

    def step_seen(carry, noise_t, t):
        pstate, estate = carry
        env_noise, pol_noise = noise_t
        action = policy.select(pstate, pol_noise, t, known)
        estate, obs = env.step(env_noise, estate, action, params)
        pstate = policy.update(pstate, action, obs, known)
        return (pstate, estate), (None if check is None else view(action))

    def step(carry, noise_t, t):
        return step_seen(carry, noise_t, t)[0]

    def metrics(carry):
        out = dict(env.metrics(carry[1], params))
        if policy.recommend is not None and env.assess is not None:
            out.update(env.assess(policy.recommend(carry[0], known), params))
        return out

    stopped = None if policy.stopped is None else (lambda carry, t: policy.stopped(carry[0], t, known))
    if check is None:
        return Simulation(init=init, sample=sample, step=step, metrics=metrics, stopped=stopped)
    return Simulation(init=init, sample=sample, step=step, metrics=metrics, stopped=stopped, step_seen=step_seen,
                      invalid=lambda seen: violated(check, seen, params), conditions=tuple(check.names))


def violated(check: ActionCheck, seen, params) -> Array:
    """0 if the action seen meets every condition of ``check``, else 1 + the index of the first it breaks."""
    ok = jnp.asarray(check.holds(seen, params), bool).reshape(-1)
    return jnp.where(ok.all(), 0, 1 + jnp.argmin(ok)).astype(jnp.int32)


def combine(main: Simulation, *others: Simulation) -> Simulation:
    """Run several simulations in lock-step on one clock; metrics are merged.

    Every component receives the same chunk key, so each must draw from its own
    sub-stream (``bandits.core.streams``). Then a component's draws are identical
    whether it runs alone or inside a combination -- e.g. the ATA paper's SGD
    run once per seed versus run inside each allocation method.
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

    def step_seen(carry, noise_t, t):
        first, seen = main.step_seen(carry[0], noise_t[0], t)
        return (first,) + tuple(s.step(c, n, t) for s, c, n in zip(others, carry[1:], noise_t[1:])), seen

    stopped = None if main.stopped is None else (lambda carry, t: main.stopped(carry[0], t))
    return main._replace(init=init, sample=sample, step=step, metrics=metrics, stopped=stopped,
                         step_seen=None if main.step_seen is None else step_seen)
