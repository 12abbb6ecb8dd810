"""Stopping rules, shared by every sampling rule (spec sections 5 and 11). The recommendation follows the rule.

At the end of round n each rule turns the learner's statistics (``Evidence``) into a statistic Z_n, a threshold
beta_n and a recommendation (a vertex and its basis); the explorer stops after the first round with Z_n > beta_n.

    paper       Z = min_u G_u(N) over the vertices u != pi_n of the enlarged F_hat_n (Theorem 5, spec section 5),
                beta of ``experiment.threshold``; recommends pi_n. Not delta-correct with A unknown (section 11).
    plugin      the same GLR on the plug-in polytope {A_hat pi <= b} (no shift); recommends its LP vertex.
    joint_glr   Z = the joint (mu, A) GLR of the plug-in LP's basis (``joint_glr``), beta = the ``paper``
                threshold (heuristic) or ``joint`` = sum_k 3 ln(1 + ln N_k) + m T(ln(1/delta) / m) over the
                m = K (d + 1) coordinates (Kaufmann & Koolen 2021: valid); recommends the plug-in vertex.
    pessimistic_optimistic
                anytime confidence boxes |x_bar - x| <= w(N) = sqrt(2 (N + 1) ln(sqrt(N + 1) / delta')) / N,
                delta' = delta / (K (d + 1)), for every mu_a (times sigma_a) and every A_ia; recommends the best
                vertex pi_hat (by mu_hat) of the pessimistic set {(A_hat + W) pi <= b}; Z = min over the vertices
                u of the optimistic set {(A_hat - W) pi <= b} of mu_hat^T (pi_hat - u) - sum_a w_a |pi_hat - u|_a
                + r, beta = 0. Valid for the r-good *and feasible* target by construction (needs r > 0).

With the true A known (CTnS, CGE) a rule uses it in place of A_hat: ``plugin`` is then ``paper``, ``joint_glr``
moves mu only (m = K coordinates) and the boxes of A have width 0.

The rules other than ``paper`` enumerate polytopes of their own, so they are evaluated on the geometric grid of
rounds n_1 = K, n_{j+1} = n_j + ceil(n_j / 100) (every round up to 100, then about every 1 %; spec section 11),
and hold their statistic and answer in between. A seed stops only on a grid round, so its stopping time is at
most 1 % above that of a rule checked every round. Under ``vmap`` the check runs for the whole batch at once,
on the rounds where some seed of the batch is due (``bandits.core.batch``); a seed keeps its own results.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp

from bandits.core import batch

from . import gaussian, joint_glr, polytope, thresholds


class Evidence(NamedTuple):
    """What a stopping rule sees at the end of round n (A_hat is the true A for the known-constraint baselines)."""

    n: jax.Array  # int32 rounds played
    counts: jax.Array  # int32[K]
    mu_hat: jax.Array  # [K]
    A_hat: jax.Array  # [d, K]
    b: jax.Array  # [d]
    sigma2: jax.Array  # [K] the variances the learner assumes
    delta: jax.Array
    r: jax.Array
    # the paper's GLR on the enlarged F_hat_n (the shared loop computes it for the sampling rules anyway)
    feasible: jax.Array  # bool F_hat_n nonempty
    pi: jax.Array  # [K] pi_n
    basis: jax.Array  # int32[K-1]
    z: jax.Array
    beta: jax.Array  # the threshold of ``experiment.threshold``


class Check(NamedTuple):
    """One evaluation of a rule: statistic, threshold, whether it may stop, and its recommendation."""

    z: jax.Array
    beta: jax.Array
    ready: jax.Array  # bool: an answer exists (and every arm was pulled)
    policy: jax.Array  # [K]
    basis: jax.Array  # int32[K-1] rows of [-I; A] active at ``policy``


class StopState(NamedTuple):
    next_check: jax.Array  # int32 the next round of the grid
    last: Check  # the last evaluation
    fired: jax.Array  # bool: Z > beta at a check (the seed has stopped)


class StoppingRule(NamedTuple):
    """A stopping rule: ``check(evidence, threshold, known_A) -> Check``.

    ``thresholds``: the values of ``experiment.stopping_threshold`` it takes (the first is its default; none: it
    has one threshold, ``experiment.threshold``'s beta or its own). ``target``: the metric its error rate is
    judged on. ``valid``: the thresholds under which it is delta-correct by proof. ``needs_r``: it needs r > 0.
    """

    check: Callable[[Evidence, str, bool], Check]
    thresholds: tuple = ()
    target: str = "correct"
    valid: tuple = ()
    needs_r: bool = False
    grid: bool = True
    uses_enlarged: bool = False  # it reads the paper's statistic on F_hat_n (Evidence.z, pi, basis)
    summary: str = ""


def grid_next(n):
    """The grid round after n: n + ceil(n / 100)."""
    return n + (n + 99) // 100


def _lp(mu_hat, A, b):
    verts = polytope.vertices(A, b, 0.0)
    return verts, polytope.lp_argmax(mu_hat, verts)


def _basis_of(lp, K, d):
    return jnp.asarray(polytope.subsets(K, d))[lp.index]


def _warm(ev: Evidence):
    return ev.n >= ev.counts.shape[0]


def paper_check(ev: Evidence, threshold: str, known_A: bool) -> Check:
    return Check(z=ev.z, beta=ev.beta, ready=_warm(ev) & ev.feasible, policy=ev.pi, basis=ev.basis)


def plugin_check(ev: Evidence, threshold: str, known_A: bool) -> Check:
    d, K = ev.A_hat.shape
    verts, lp = _lp(ev.mu_hat, ev.A_hat, ev.b)
    alt = polytope.alternatives(lp.policy, verts) & lp.feasible
    z = gaussian.glr(ev.mu_hat, ev.sigma2, lp.policy, verts.points, alt, ev.counts, ev.r)
    z = jnp.where(alt.any(), z, jnp.inf)
    return Check(z=z, beta=ev.beta, ready=_warm(ev) & lp.feasible, policy=lp.policy, basis=_basis_of(lp, K, d))


def joint_threshold(counts, delta, d: int, known_A: bool):
    """``joint``: sum over the m coordinates of 3 ln(1 + ln N) + m T(ln(1/delta) / m), m = K (d + 1) (K with A
    known); each arm's d + 1 coordinates share its count."""
    per_arm = 1 if known_A else d + 1
    return thresholds.kaufmann_koolen(counts, delta, per_arm)


def joint_glr_check(ev: Evidence, threshold: str, known_A: bool) -> Check:
    d, K = ev.A_hat.shape
    _, lp = _lp(ev.mu_hat, ev.A_hat, ev.b)
    basis = _basis_of(lp, K, d)
    z = joint_glr.statistic(ev.mu_hat, ev.A_hat, ev.b, ev.sigma2, ev.counts, basis, known_A)
    beta = joint_threshold(ev.counts, ev.delta, d, known_A) if threshold == "joint" else ev.beta
    return Check(z=z, beta=beta.astype(z.dtype), ready=_warm(ev) & lp.feasible, policy=lp.policy, basis=basis)


def box_radius(counts, delta_prime, dtype):
    """sqrt(2 (N + 1) ln(sqrt(N + 1) / delta')) / N: the anytime radius of a mean of N unit-variance Gaussian
    observations (+inf for N = 0)."""
    N = counts.astype(dtype)
    safe = jnp.maximum(N, 1.0)
    w = jnp.sqrt(2.0 * (safe + 1.0) * (0.5 * jnp.log(safe + 1.0) - jnp.log(delta_prime))) / safe
    return jnp.where(N > 0, w, jnp.inf)


def pessimistic_optimistic_check(ev: Evidence, threshold: str, known_A: bool) -> Check:
    d, K = ev.A_hat.shape
    dt = ev.mu_hat.dtype
    unit = box_radius(ev.counts, ev.delta / (K * (d + 1)), dt)
    pulled = jnp.isfinite(unit).all()
    unit = jnp.where(jnp.isfinite(unit), unit, 0.0)
    w_mu = jnp.sqrt(ev.sigma2) * unit
    W = jnp.zeros((d, K), dt) if known_A else jnp.broadcast_to(unit, (d, K))
    pess, lp = _lp(ev.mu_hat, ev.A_hat + W, ev.b)
    opt = polytope.vertices(ev.A_hat - W, ev.b, 0.0)
    v = lp.policy[None, :] - opt.points
    margin = v @ ev.mu_hat - jnp.abs(v) @ w_mu + ev.r
    z = jnp.min(jnp.where(opt.feasible, margin, jnp.inf))
    return Check(z=z, beta=jnp.zeros((), dt), ready=_warm(ev) & pulled & lp.feasible, policy=lp.policy,
                 basis=_basis_of(lp, K, d))


RULES = {
    "paper": StoppingRule(paper_check, grid=False, uses_enlarged=True,
                          summary="Theorem 5's GLR on the enlarged F_hat (the paper)"),
    "plugin": StoppingRule(plugin_check, summary="the same GLR on the plug-in polytope A_hat pi <= b"),
    "joint_glr": StoppingRule(joint_glr_check, thresholds=("paper", "joint"), valid=("joint",),
                              summary="the GLR of the plug-in basis over (mu, A)"),
    # its confidence boxes are its threshold ("box"): the only choice
    "pessimistic_optimistic": StoppingRule(pessimistic_optimistic_check, thresholds=("box",),
                                           target="r_good_feasible", valid=("box",), needs_r=True,
                                           summary="confidence boxes: pessimistic answer, optimistic rivals"),
}
PAPER_BETA = "paper"  # the choice of ``stopping_threshold`` that means experiment.threshold's beta


def threshold_name(rule: str, stopping_threshold: Optional[str], beta: str) -> str:
    """The stored name of the threshold a rule runs with: its ``stopping_threshold`` (default: its first choice),
    where ``paper`` (and a rule without a choice) means the beta of ``experiment.threshold``, named ``beta``."""
    spec = RULES[rule]
    choice = stopping_threshold or (spec.thresholds[0] if spec.thresholds else PAPER_BETA)
    return beta if choice == PAPER_BETA else choice


def guarantee(rule: str, threshold: str) -> str:
    """``valid`` (delta-correct on the rule's target by proof) or ``heuristic``."""
    return "valid" if threshold in RULES[rule].valid else "heuristic"


def init(K: int, dtype, rule: str) -> StopState:
    z = jnp.zeros((), dtype)
    last = Check(z=z, beta=jnp.full((), jnp.inf, dtype), ready=jnp.bool_(False), policy=jnp.full(K, 1.0 / K, dtype),
                 basis=jnp.zeros(K - 1, jnp.int32))
    return StopState(next_check=jnp.int32(K), last=last, fired=jnp.bool_(False))


def advance(rule: str, threshold: Optional[str], state: StopState, ev: Evidence, known_A: bool) -> StopState:
    """The rule's state after round n: evaluated where due (every round, or on the grid), fired once Z > beta."""
    spec = RULES[rule]
    choice = threshold or (spec.thresholds[0] if spec.thresholds else "")
    if not spec.grid:
        due = ~state.fired
        new = spec.check(ev, choice, known_A)
    else:
        due = (ev.n >= state.next_check) & ~state.fired
        need, _ = batch.count_in_batch(due)
        new = jax.lax.cond(need > 0, lambda: spec.check(ev, choice, known_A), lambda: state.last)
    last = jax.tree.map(lambda a, b: jnp.where(due, a, b), new, state.last)
    fired = state.fired | (due & new.ready & (new.z > new.beta))
    next_check = jnp.where(due, grid_next(ev.n), state.next_check).astype(jnp.int32)
    return StopState(next_check=next_check, last=last, fired=fired)
