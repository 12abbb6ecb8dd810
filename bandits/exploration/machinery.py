"""The loop shared by every explorer of the paper (Algorithms 1 and 2, spec sections 2, 5, 6).

After each observation (``update``), with n = rounds played:

    N, mu_hat, A_hat           empirical counts, means, cost means (A_hat = A for known-constraint baselines)
    f = f(n, delta), c_n = f ||pi_ref||_{Sigma_n^{-1}}   the shift (0 with known constraints), pi_ref = pi_{n-1}
    F_hat = {pi in Delta : A_hat pi <= b + c_n}          vertices by one batched solve (``polytope``)
    pi_n = argmax_{F_hat} mu_hat^T pi,  alternatives u != pi_n
    Z_n = min_u G_u(N),  beta(n, delta)                   the paper's GLR (Theorem 5)
    stop state = stopping rule(...)                       ``stopping``: the paper's rule (stop after this round iff
                                                          n >= K, F_hat != {} and Z_n > beta) or a sound one
    omega = rule(...)                                     the algorithm-specific allocation (LATS, LAGEX, ...)
    next arm = C-tracking (or D-tracking) of omega; arms 0..K-1 once first (warm-up)

``select`` only returns the arm prepared by the previous ``update`` (a policy may not change
its state in ``select``); ``recommend`` returns the stopping rule's answer, a vertex and its basis
(the K - 1 rows of [-I; A] active there); with the paper's rule pi_n = argmax over the vertices of
F_hat_tau: pi_hat itself lies in the enlarged F_hat and never equals pi* exactly when a constraint is
active at pi*, so the environment judges correctness by the vertex the basis defines in the true polytope.
If F_hat is empty (possible early on) the explorer keeps pi_ref, plays the uniform allocation
and does not stop under the paper's rule.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp

from bandits.core import batch
from bandits.core.types import Policy

from . import gaussian, polytope, stopping as stopping_rules, thresholds, tracking


class Config(NamedTuple):
    threshold: str = "paper"  # thresholds.THRESHOLDS
    radius: str = "paper"  # gaussian.confidence_radius variant
    tracking: str = "C"  # "C" or "D"
    known_constraints: bool = False  # CTnS / CGE: use known.A, no shift
    every: int = 1  # lazy updates: recompute the allocation every `every` rounds
    stopping: str = "paper"  # stopping.RULES
    stopping_threshold: Optional[str] = None  # the rule's threshold choice (None: its default)


class Context(NamedTuple):
    """What an allocation rule sees at the end of round n."""

    n: jax.Array  # int32 rounds played
    counts: jax.Array  # int32[K]
    mu_hat: jax.Array  # [K]
    A_hat: jax.Array  # [d, K]
    b_shift: jax.Array  # [d] b + c_n
    shift: jax.Array  # scalar c_n
    sigma2: jax.Array  # [K]
    r: jax.Array  # scalar
    verts: polytope.Vertices
    pi: jax.Array  # [K] pi_n
    alt: jax.Array  # bool[M]
    # whether this seed's allocation is refreshed this round (its result is used): seeds that are not
    # (stopped, warming up, F_hat empty) must not ask the batch for extra solver work (``core.batch``)
    active: jax.Array | bool = True
    pi_index: jax.Array | None = None  # int32: the row of ``verts`` that is pi_n (its basis: ``polytope.pivots``)


class Rule(NamedTuple):
    """An allocation rule: init(K, d, dtype) -> rule state; step(rule_state, ctx) -> (omega, rule_state).

    ``uses_polytope`` False: the rule reads nothing of F_hat_n (``ctx.verts``, ``pi``, ``alt`` are then empty
    placeholders unless the stopping rule needs F_hat anyway), so the loop skips its vertex enumeration."""

    init: Callable[[int, int, Any], Any]
    step: Callable[[Any, Context], tuple]
    uses_polytope: bool = True


class Answer(NamedTuple):
    """A recommendation: the vertex pi_hat of F_hat_tau and the constraint rows that define it."""

    policy: jax.Array  # [K]
    basis: jax.Array  # int32[K-1] rows of G = [-I; A] active at pi_hat


class ExplorerState(NamedTuple):
    n: jax.Array  # int32 rounds played
    counts: jax.Array  # int32[K]
    reward_sum: jax.Array  # [K]
    cost_sum: jax.Array  # [d, K]
    cum: jax.Array  # [K]  C-tracking cumulative allocation
    omega: jax.Array  # [K]  last allocation
    pi: jax.Array  # [K]   pi_n (recommendation; pi_ref of the next shift)
    shift: jax.Array  # scalar c_n
    z: jax.Array  # scalar GLR statistic Z_n (the paper's, on F_hat_n)
    beta: jax.Array  # scalar threshold beta(n, delta)
    feasible: jax.Array  # bool F_hat_n nonempty
    basis: jax.Array  # int32[K-1] the rows of G active at pi_n (identifies the vertex)
    next_arm: jax.Array  # int32 arm of round n + 1
    rule: Any  # the allocation rule's state
    stop: stopping_rules.StopState  # the stopping rule's state: its last statistic and answer, whether it fired


def estimates(state: ExplorerState):
    n = jnp.maximum(state.counts, 1).astype(state.reward_sum.dtype)
    return state.reward_sum / n, state.cost_sum / n[None, :]


def explorer(rule: Rule, cfg: Config = Config()) -> Policy:
    def init(known):
        K, d = known.sigma.shape[0], known.b.shape[0]
        dt = known.sigma.dtype
        return ExplorerState(
            n=jnp.int32(0), counts=jnp.zeros(K, jnp.int32), reward_sum=jnp.zeros(K, dt),
            cost_sum=jnp.zeros((d, K), dt), cum=jnp.zeros(K, dt), omega=jnp.full(K, 1.0 / K, dt),
            pi=jnp.full(K, 1.0 / K, dt), shift=jnp.zeros((), dt), z=jnp.zeros((), dt), beta=jnp.full((), jnp.inf, dt),
            feasible=jnp.bool_(False), basis=jnp.zeros(K - 1, jnp.int32), next_arm=jnp.int32(0),
            rule=rule.init(K, d, dt), stop=stopping_rules.init(K, dt, cfg.stopping))

    def select(state, noise, t, known):
        return state.next_arm

    def update(state: ExplorerState, arm, obs, known):
        reward, cost = obs
        K = state.counts.shape[0]
        dt = state.reward_sum.dtype
        state = state._replace(
            n=state.n + 1, counts=state.counts.at[arm].add(1),
            reward_sum=state.reward_sum.at[arm].add(reward.astype(dt)),
            cost_sum=state.cost_sum.at[:, arm].add(cost.astype(dt)))
        n = state.n
        mu_hat, A_hat = estimates(state)
        if cfg.known_constraints:
            A_hat, c = known.A.astype(dt), jnp.zeros((), dt)
        else:
            f = gaussian.confidence_radius(state.counts, known.delta, cfg.radius).astype(dt)
            c = gaussian.shift(f, state.pi, state.counts)
        sigma2 = known.sigma * known.sigma
        if rule.uses_polytope or stopping_rules.RULES[cfg.stopping].uses_enlarged:
            verts = polytope.vertices(A_hat, known.b, c)
            lp = polytope.lp_argmax(mu_hat, verts)
            feasible = lp.feasible
            pi = jnp.where(feasible, lp.policy, state.pi)
            basis = jnp.where(feasible, jnp.asarray(polytope.subsets(K, known.b.shape[0]))[lp.index], state.basis)
            alt = polytope.alternatives(pi, verts) & feasible
            z = gaussian.glr(mu_hat, sigma2, pi, verts.points, alt, state.counts, known.r)
            z = jnp.where(alt.any(), z, jnp.inf)  # a single vertex: nothing left to test
            pi_index = lp.index
        else:  # nobody reads F_hat_n: no enumeration (pi_n stays the uniform policy, the shift's reference)
            verts = polytope.Vertices(points=jnp.zeros((0, K), dt), feasible=jnp.zeros(0, bool))
            feasible, pi, basis, alt = jnp.bool_(True), state.pi, state.basis, jnp.zeros(0, bool)
            z, pi_index = jnp.zeros((), dt), jnp.int32(0)
        beta = thresholds.threshold(cfg.threshold, n, known.delta, state.counts, known.b.shape[0]).astype(dt)
        warm = n < K
        # a slot whose seed has stopped (the runner keeps its state frozen) never asks for a refresh
        frozen = state.stop.fired
        evidence = stopping_rules.Evidence(n=n, counts=state.counts, mu_hat=mu_hat, A_hat=A_hat, b=known.b.astype(dt),
                                           sigma2=sigma2, delta=known.delta, r=known.r, feasible=feasible, pi=pi,
                                           basis=basis, z=z, beta=beta)
        stop = stopping_rules.advance(cfg.stopping, cfg.stopping_threshold, state.stop, evidence,
                                      cfg.known_constraints)
        refresh = (~warm) & feasible & ((n - K) % cfg.every == 0) & ~frozen
        ctx = Context(n=n, counts=state.counts, mu_hat=mu_hat, A_hat=A_hat, b_shift=known.b + c, shift=c,
                      sigma2=sigma2, r=known.r, verts=verts, pi=pi, alt=alt, active=refresh, pi_index=pi_index)
        # with lazy updates the solver really is skipped: the branch is taken once for the whole seed batch
        # (core.batch: under vmap a per-seed lax.cond runs both branches for every seed); the runner starts
        # every seed at a chunk boundary, so the seeds of a batch refresh on the same rounds. Each seed keeps
        # its own result where it refreshes, so the batch never changes a seed's numbers.
        need, _ = batch.count_in_batch(refresh)
        omega_new, rule_new = jax.lax.cond(need > 0, lambda: rule.step(state.rule, ctx),
                                           lambda: (state.omega, state.rule))
        rule_state = jax.tree.map(lambda a, b: jnp.where(refresh, a, b), rule_new, state.rule)
        omega = jnp.where(refresh, omega_new, jnp.where(feasible, state.omega, jnp.full(K, 1.0 / K, dt)))
        if cfg.tracking == "C":
            arm_next, cum = tracking.c_tracking(state.cum, state.counts, omega, n + 1)
            cum = jnp.where(warm, state.cum, cum)
        else:
            arm_next, cum = tracking.d_tracking(state.counts, omega, n + 1), state.cum
        arm_next = jnp.where(warm, n, arm_next).astype(jnp.int32)
        return state._replace(cum=cum, omega=omega, pi=pi, shift=c, z=z, beta=beta, feasible=feasible,
                              basis=basis, next_arm=arm_next, rule=rule_state, stop=stop)

    def stopped(state, t, known):
        return state.stop.fired

    def recommend(state, known):
        return Answer(policy=state.stop.last.policy, basis=state.stop.last.basis)

    return Policy(init=init, select=select, update=update, stopped=stopped, recommend=recommend)


def violation_flags(state: ExplorerState, A, b, tol: float = 1e-9):
    """Spec section 9: does (a) the current recommendation pi_n, (b) the allocation omega_n violate the
    true constraints A pi <= b? (metrics side: A comes from the environment's params)."""
    return {"pi_violates": jnp.any(A @ state.pi > b + tol), "omega_violates": jnp.any(A @ state.omega > b + tol)}


def run_one(policy: Policy, env, params, known, key, horizon: int):
    """One seed, rounds scanned with ``jax.lax.scan`` until ``stopped`` (then frozen) or ``horizon``.

    Returns (policy state, env state, tau, stopped flag). A reference loop for tests and examples;
    the suite's runner does the chunked, batched version.
    """
    pstate = policy.init(known)
    estate = env.reset(key, params)
    noise = env.sample(key, horizon, params)

    def step(carry, xs):
        pstate, estate, done, tau = carry
        z, t = xs
        arm = policy.select(pstate, None, t, known)
        estate2, obs = env.step(z, estate, arm, params)
        pstate2 = policy.update(pstate, arm, obs, known)
        stop = policy.stopped(pstate2, t, known)
        keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(done, b, a), new, old)
        pstate, estate = keep(pstate2, pstate), keep(estate2, estate)
        tau = jnp.where(done, tau, t + 1)
        return (pstate, estate, done | stop, tau), None

    init = (pstate, estate, jnp.bool_(False), jnp.int32(0))
    (pstate, estate, done, tau), _ = jax.lax.scan(step, init, (noise, jnp.arange(horizon, dtype=jnp.int32)))
    return pstate, estate, tau, done
