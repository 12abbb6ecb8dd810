"""Baselines of spec §6 (full information; the observation is f_t). Follow-the-leader baselines: ``ftl``.

Monotone (partition matroid; a uniform matroid is one block):
- ``online_greedy``: Streeter–Golovin–Krause online greedy: one learner per slot (k = Σ caps slots, slot j
  belongs to one block and plays its elements); slot j's pick is drawn from its distribution among the
  block's elements not yet picked (Gumbel-max), and after f_t every slot is fed the full vector of marginal
  gains f_t(S_{j-1} + i) - f_t(S_{j-1}) with S_{j-1} the picks of the earlier slots (k (n + 1) oracle calls
  a round). Hedge with step η = sqrt(8 ln n / T) (gains in [0, 1], known horizon T), or with ``share`` > 0
  Fixed-Share (Herbster–Warmuth): each slot's weights are mixed with the uniform over its block at rate share.
- ``meta_frank_wolfe``: Meta-Frank-Wolfe (Chen, Hassani, Karbasi 2018): L online linear learners over the base
  polytope fed ∇F_t along the Frank-Wolfe path, fixed step, dependent rounding (Algorithm 6 without the
  curvature decomposition, the (1 + δ)^{(s-1)/δ} weights and the first-order step).
- ``random_base``: a uniformly random base of the matroid (top caps[b] of uniform priorities per block).

USM (unconstrained):
- ``roughgarden_wang``: online double greedy with a 2-experts learner per element (Hedge over {in, out} with a
  fixed step, driven to RW's "twice either expert on the rounds it was not picked" guarantee), O(n sqrt T).
- ``random_set``: every element independently w.p. ½ (¼-competitive in expectation).
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from bandits.core.types import Policy

from .fast_projection import project_partition_top
from .functions import multilinear_grad, sampled_gradient
from .monotone_policy import MonotoneNoise, MonotoneState, Play, greedy_path, partition_matroid
from .monotone_policy import oracle_calls_per_round as ocg_calls
from .oda import ODA, oda, simplex_project
from .rounding import dependent_round_partition, top_k_per_block
from .usm_policy import balance_policy


class GreedyPlay(NamedTuple):
    mask: jax.Array  # bool[n]
    picks: jax.Array  # int32[k]  element of each slot, in slot order


def online_greedy(blocks, caps, horizon: int, eta: float | None = None, share: float = 0.0,
                  dtype=jnp.float32) -> Policy:
    """Streeter–Golovin–Krause online greedy, one Hedge (share = 0) or Fixed-Share (share > 0) learner per slot.

        slot j (block b_j), its block's N_j = |b_j| elements; Gumbel noise g_t[k, n] pre-drawn
        select: S_0 = ∅; for j = 1..k: i_j = argmax_{i ∈ b_j \ S_{j-1}} logit_j(i) + g_t[j, i]  (a draw from the
                slot's distribution restricted to the elements not yet picked);  S_j = S_{j-1} + i_j
        update: gain_j(i) = f_t(S_{j-1} + i) - f_t(S_{j-1}) ∈ [0, 1]  for every slot j and element i
            share = 0 (Hedge, lazy):    logit_j = η Σ_{s<=t} gain_{s,j}                     (state: cum [k, n])
            share = α > 0 (Fixed-Share, Herbster & Warmuth 1998; state: ln w [k, n], w_j a distribution on b_j):
                v_j = w_j ⊙ exp(η gain_j) / Z_j;   w_j <- (1 - α) v_j + α / N_j;           logit_j = ln w_j

    share = 0 runs the plain Hedge code path unchanged (bit-identical to the baseline before the option); the
    Fixed-Share weights never drop below α / N_j, which lets a slot re-learn after the leader changes.
    Oracle calls a round: k (n + 1) (``online_greedy_calls``).
    """
    blocks_np, caps_np, n, k = partition_matroid(blocks, caps)
    slot_block = jnp.asarray(np.repeat(np.arange(len(caps_np)), caps_np), jnp.int32)  # [k]
    in_block = jnp.asarray(blocks_np)[None, :] == slot_block[:, None]  # [k, n]
    if eta is None:
        eta = math.sqrt(8.0 * math.log(max(n, 2)) / max(int(horizon), 1))
    if not eta > 0:
        raise ValueError(f"eta must be > 0, got {eta!r}")
    eta = float(eta)
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(share) <= 1.0:
        raise ValueError(f"share (Fixed-Share rate) must be a number in [0, 1], got {share!r}")
    share = float(share)
    if share > 0.0:
        return _fixed_share_greedy(n, k, in_block, eta, share, dtype)

    def init(known):
        return jnp.zeros((k, n), dtype)  # cumulative gains per slot

    def sample(key, rounds, known):
        return jax.random.gumbel(key, (rounds, k, n), dtype)

    def select(cum, g, t, known) -> GreedyPlay:
        def slot(taken, j):
            logits = eta * cum[j] + g[j]
            ok = in_block[j] & ~taken
            i = jnp.argmax(jnp.where(ok, logits, -jnp.inf))
            return taken.at[i].set(True), i.astype(jnp.int32)

        taken, picks = jax.lax.scan(slot, jnp.zeros(n, bool), jnp.arange(k))
        return GreedyPlay(mask=taken, picks=picks)

    def update(cum, play: GreedyPlay, f, known):
        return cum + slot_gains(f, play.picks, n).astype(dtype)

    return Policy(init=init, select=select, update=update, sample=sample)


def slot_gains(f, picks, n: int):
    """gain[j, i] = f(S_{j-1} + i) - f(S_{j-1}), S_{j-1} the picks of the slots before j: float[k, n]."""
    onehot = jax.nn.one_hot(picks, n, dtype=bool)  # [k, n]
    prefix = jnp.cumsum(onehot, axis=0) - onehot > 0  # S_{j-1}: picks of slots < j
    eye = jnp.eye(n, dtype=bool)

    def gains(S):
        return jax.vmap(lambda e: f.value(S | e))(eye) - f.value(S)

    return jax.vmap(gains)(prefix)


def _fixed_share_greedy(n: int, k: int, in_block, eta: float, share: float, dtype) -> Policy:
    """The Fixed-Share path of ``online_greedy``: the state is ln w [k, n] (0 outside each slot's block)."""
    size = jnp.sum(in_block, axis=1, keepdims=True).astype(dtype)  # [k, 1]  N_j
    log_floor = jnp.log(jnp.asarray(share, dtype)) - jnp.log(size)  # ln(α / N_j)
    log_keep = jnp.log1p(-jnp.asarray(share, dtype))  # ln(1 - α)  (-inf for α = 1)

    def init(known):
        return jnp.where(in_block, -jnp.log(size), 0.0).astype(dtype)  # uniform on each block

    def sample(key, rounds, known):
        return jax.random.gumbel(key, (rounds, k, n), dtype)

    def select(logw, g, t, known) -> GreedyPlay:
        def slot(taken, j):
            i = jnp.argmax(jnp.where(in_block[j] & ~taken, logw[j] + g[j], -jnp.inf))
            return taken.at[i].set(True), i.astype(jnp.int32)

        taken, picks = jax.lax.scan(slot, jnp.zeros(n, bool), jnp.arange(k))
        return GreedyPlay(mask=taken, picks=picks)

    def update(logw, play: GreedyPlay, f, known):
        z = jnp.where(in_block, logw + eta * slot_gains(f, play.picks, n).astype(dtype), -jnp.inf)
        logv = z - jax.nn.logsumexp(z, axis=1, keepdims=True)  # ln v_j (Hedge step, normalised per block)
        mixed = jnp.logaddexp(log_keep + logv, log_floor)  # ln((1 - α) v_j + α / N_j)
        return jnp.where(in_block, mixed, 0.0).astype(dtype)

    return Policy(init=init, select=select, update=update, sample=sample)


def online_greedy_calls(n: int, k: int) -> int:
    return k * (n + 1)


def random_base(blocks, caps, dtype=jnp.float32) -> Policy:
    blocks_j = jnp.asarray(np.asarray(blocks, np.int32))
    caps_j = jnp.asarray(np.asarray(caps, np.int32))
    n = blocks_j.shape[0]

    def sample(key, rounds, known):
        return jax.random.uniform(key, (rounds, n), dtype)

    return Policy(init=lambda known: jnp.zeros((), jnp.int32),
                  select=lambda s, u, t, known: top_k_per_block(u, blocks_j, caps_j),
                  update=lambda s, a, f, known: s, sample=sample)


def random_set(n: int, dtype=jnp.float32) -> Policy:
    def sample(key, rounds, known):
        return jax.random.uniform(key, (rounds, n), dtype)

    return Policy(init=lambda known: jnp.zeros((), jnp.int32), select=lambda s, u, t, known: u < 0.5,
                  update=lambda s, a, f, known: s, sample=sample)


# ---------------------------------------------------------------------------------------------
# Meta-Frank-Wolfe (monotone)
# ---------------------------------------------------------------------------------------------
def meta_frank_wolfe(blocks, caps, horizon: int, L: int = 20, gradient_samples: Optional[int] = None,
                     dtype=jnp.float32) -> Policy:
    """Meta-Frank-Wolfe (Chen, Hassani, Karbasi, AISTATS 2018) over a partition matroid, with rounding.

        L online linear maximisers A_1..A_L over B(M): entropic ODA from Π^KL_{B(M)}((k/n)·1),
            D = max{1, k, k ln(n/k)}, fixed step η = min(1, sqrt(D / T))          (as ``oda``, step="fixed")
        for t = 1, 2, ...:
            x^(0) = 0;  x^(l) = x^(l-1) + (1/L) v_t^(l),  v_t^(l) = iterate of A_l       (x^(L) ∈ B(M))
            S_t = dependent_round(x^(L), u_t)                         (pre-drawn uniforms u_t[n - 1])
            play S_t; observe f_t
            A_l.update(c = -∇F_t(x^(l-1)))   for l = 1..L              (maximise ⟨∇F_t(x^(l-1)), v⟩)

    How it differs from the paper's Algorithm 6 (``monotone_policy.online_continuous_greedy``), which shares
    the learners, the path x(s) and the rounding: (1) no curvature decomposition (no ℓ_t, so the guarantee is
    1 - 1/e, not 1 - c/e); (2) every learner is charged the plain gradient, without Algorithm 6's weights
    (1 + δ)^{(s-1)/δ}; (3) a fixed step η ∝ 1/sqrt(T), no first-order step. CHK use online gradient ascent
    learners and K = sqrt(T) of them (K = T^{3/2} for stochastic gradients); here the learners are the
    suite's entropic ODA (the natural OLO over B(M) with an O(sqrt(k ln(n/k) T)) regret) and L defaults to 20
    like Algorithm 6, so the two differ only in (1)-(3).

    Oracle calls a round: 0 with exact gradients (closed-form multilinear extension), L·m·(n + 1) with m
    sampled gradients (``meta_frank_wolfe_calls``).
    """
    blocks_np, caps_np, n, k = partition_matroid(blocks, caps)
    blocks_j, caps_j = jnp.asarray(blocks_np), jnp.asarray(caps_np)
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L (number of learners) must be an integer >= 1, got {L!r}")
    L = int(L)
    if gradient_samples is not None and (isinstance(gradient_samples, bool) or int(gradient_samples) < 1):
        raise ValueError(f"gradient_samples must be null (exact) or an integer >= 1, got {gradient_samples!r}")
    D = max(1.0, float(k), k * math.log(n / k))
    project = lambda z: project_partition_top(z, blocks_np, caps_np)  # noqa: E731
    x1 = jax.jit(project)(jnp.full(n, math.log(k / n), dtype))  # one compile (not one per op)
    learner = oda(project, x1, D, step="fixed", horizon=horizon)
    delta = 1.0 / L

    def init(known):
        return MonotoneState(learners=jax.vmap(lambda _: learner.init())(jnp.arange(L)))

    def sample(key, rounds, known):
        k1, k2 = jax.random.split(key)
        grad = None if gradient_samples is None else jax.random.split(k2, rounds)
        return MonotoneNoise(rounding=jax.random.uniform(k1, (rounds, max(n - 1, 1)), dtype), gradient=grad)

    def select(state, noise: MonotoneNoise, t, known) -> Play:
        _, point = greedy_path(state.learners.x, delta)
        mask = dependent_round_partition(point, noise.rounding, blocks_j, caps_j)
        return Play(mask=mask, point=point, gradient_noise=noise.gradient)

    def update(state, action: Play, f, known):
        path, _ = greedy_path(state.learners.x, delta)  # [L, n]  x^(l-1)
        if gradient_samples is None:
            grad_of = f.gradient if hasattr(f, "gradient") else (lambda x: multilinear_grad(f, x))
            grads = jax.vmap(grad_of)(path)
        else:
            u = jax.random.uniform(action.gradient_noise, (L, int(gradient_samples), n), dtype)
            grads = jax.vmap(lambda x, u: sampled_gradient(f, x, u))(path, u)
        return MonotoneState(learners=jax.vmap(learner.update)(state.learners, -grads.astype(dtype)))

    return Policy(init=init, select=select, update=update, sample=sample)


def meta_frank_wolfe_calls(n: int, L: int, gradient_samples: Optional[int] = None) -> int:
    return ocg_calls(n, L, decompose=False, gradient_samples=gradient_samples)


# ---------------------------------------------------------------------------------------------
# Roughgarden–Wang online double greedy (USM)
# ---------------------------------------------------------------------------------------------
def two_experts(horizon: int, dtype=jnp.float32) -> ODA:
    """The per-element 2-experts learner of ``roughgarden_wang``: Hedge over the two constraints {in, out}.

    Entropic ODA over the simplex Δ₂ from (½, ½) with D = 2 ln 2 and the fixed step η = min(1, sqrt(2 ln 2 / T))
    (Hedge tuned for gains in [-1, 1]); fed the cost c = -(2/3) u(p, Δ), it plays a = softmax(η (2/3) Σ u).
    """
    return oda(simplex_project, jnp.full(2, 0.5, dtype), 2.0 * math.log(2.0), step="fixed", horizon=horizon)


def roughgarden_wang(n: int, horizon: int, dtype=jnp.float32) -> Policy:
    """Roughgarden–Wang online double greedy (COLT 2018): ½-regret O(n sqrt(T)), one 2-experts learner per element.

    The suite's reading. RW reduce online USM to n copies of a 2-experts problem: element i's experts are "in"
    (add i to X) and "out" (remove i from Y), worth Δ⁺ and Δ⁻ (the double-greedy marginal gains), and the
    subroutine must choose p_t (probability of "in") so that its total value is at least twice either
    expert's value on the rounds it did not pick that expert, up to O(sqrt(T)):
        Σ_t p_t Δ⁺_t + (1 - p_t) Δ⁻_t  >=  2 Σ_t (1 - p_t) Δ⁺_t - O(sqrt T)  and  >=  2 Σ_t p_t Δ⁻_t - O(sqrt T),
    i.e. Σ_t u(p_t, Δ_t) <= O(sqrt T) coordinate-wise for the payoff u of ``blackwell`` (coordinate 1: "in",
    coordinate 2: "out"). RW's own closed-form subroutine is not in the suite's sources; this one meets the
    same guarantee with a Hedge learner over the two experts {in, out}, each charged the amount by which it
    beats the half-value target (Blackwell approachability of R²_{<=0} with ℓ∞ / simplex directions):

        per element i: Hedge weights a_{t,i} = softmax(η U_{t,i}),  U_{t,i} = (2/3) Σ_{s<t} u(p_{s,i}, Δ_{s,i}),
                       η = sqrt(2 ln 2 / T)  (fixed, from the known horizon; ``two_experts``)
        p_{t,i} = halfspace_oracle(a_{t,i}) = ¼ + ½ a_{t,i}[in]      (so that ⟨a_t, u(p_t, Δ)⟩ <= 0 for all Δ)
        double greedy: S_t = {i : v_{t,i} < p_{t,i}} (pre-drawn uniforms v_t[n]); Δ⁺, Δ⁻ along its chain

    Then max_j Σ_t u_j <= (3/2) (Σ_t ⟨a_t, (2/3)u_t⟩ + Hedge regret) <= (3/2) sqrt(2 T ln 2) per element, and
    summing RW's per-element inequalities gives ½-regret O(n sqrt(T)). The paper's algorithm (``odg``) keeps
    this double-greedy structure and halfspace oracle but plays directions from entropic ODA over the quarter
    disc with first-order steps (½-regret O(sqrt(nT))); ``odg_fixed`` is that learner with a fixed step.
    A Hedge "balance learner" per element with a fixed step (spec §6) is exactly this policy.
    Oracle calls a round: 2n + 2, as ``odg``.
    """
    return balance_policy(two_experts(horizon, dtype), n, dtype)
