"""Baselines of spec §6 that the suite has so far (full information; the observation is f_t).

- ``online_greedy``: Streeter–Golovin–Krause online greedy over a partition matroid (a uniform matroid is one
  block): one Hedge learner per slot (k = Σ caps slots, slot j belongs to one block and plays its elements);
  slot j's pick is drawn from its Hedge distribution among the block's elements not yet picked (Gumbel-max),
  and after f_t every slot is fed the full vector of marginal gains f_t(S_{j-1} + i) - f_t(S_{j-1}) with
  S_{j-1} the picks of the earlier slots (k (n + 1) oracle calls a round). Step η = sqrt(8 ln n / T)
  (Hedge on gains in [0, 1], known horizon T). No Fixed-Share option yet.
- ``random_base``: a uniformly random base of the matroid (top caps[b] of uniform priorities per block).
- ``random_set``: USM, every element independently w.p. ½ (¼-competitive in expectation).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from bandits.core.types import Policy

from .monotone_policy import partition_matroid
from .rounding import top_k_per_block


class GreedyPlay(NamedTuple):
    mask: jax.Array  # bool[n]
    picks: jax.Array  # int32[k]  element of each slot, in slot order


def online_greedy(blocks, caps, horizon: int, eta: float | None = None, dtype=jnp.float32) -> Policy:
    blocks_np, caps_np, n, k = partition_matroid(blocks, caps)
    slot_block = jnp.asarray(np.repeat(np.arange(len(caps_np)), caps_np), jnp.int32)  # [k]
    in_block = jnp.asarray(blocks_np)[None, :] == slot_block[:, None]  # [k, n]
    if eta is None:
        eta = math.sqrt(8.0 * math.log(max(n, 2)) / max(int(horizon), 1))
    if not eta > 0:
        raise ValueError(f"eta must be > 0, got {eta!r}")
    eta = float(eta)

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
        onehot = jax.nn.one_hot(play.picks, n, dtype=bool)  # [k, n]
        prefix = jnp.cumsum(onehot, axis=0) - onehot > 0  # S_{j-1}: picks of slots < j
        eye = jnp.eye(n, dtype=bool)

        def gains(S):
            return jax.vmap(lambda e: f.value(S | e))(eye) - f.value(S)

        return cum + jax.vmap(gains)(prefix).astype(dtype)

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
