"""Random draws for simulations, with a selectable bulk generator.

``threefry``: ``jax.random`` as is. On CPU its XLA lowering costs ~12 ns per
32-bit number, which dominates simulations that need hundreds of draws per
round (e.g. GTA's first-completion time of every worker).

``hash32`` (default): a counter-based generator. One threefry word per *row*
(all leading axes) keys a strong 32-bit integer hash (two rounds of C. Wellons'
lowbias32) over the last axis. ~0.75 ns per number on CPU, 16x faster. Uniforms
have 24-bit resolution on the midpoints (k + 0.5) / 2^24, so they are never 0 or
1; exponential tails are truncated at -ln(0.5 / 2^24) = 17.3 (mass 3e-8 beyond)
and normal tails (Box-Muller) at 5.9 sigma (mass 4e-9 beyond).

Both keep the suite's guarantees: the draws of seed s, chunk c are a pure
function of (base_seed, s, c, generator), independent of batch size and devices.
The generator is chosen per run (``runner.rng``) and recorded in ``meta.json``.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import jax
import jax.numpy as jnp

from .batch import seeds_last

GENERATORS = ("hash32", "threefry")
_state = {"generator": "hash32"}


def set_generator(name: str) -> None:
    if name not in GENERATORS:
        raise ValueError(f"unknown random generator {name!r}; valid choices: {', '.join(GENERATORS)}")
    _state["generator"] = name


def get_generator() -> str:
    return _state["generator"]


@contextmanager
def generator(name: str):
    old = get_generator()
    set_generator(name)
    try:
        yield
    finally:
        set_generator(old)


def lowbias32(x: jax.Array) -> jax.Array:
    """A well-mixing 32-bit integer hash (C. Wellons' lowbias32)."""
    x = x.astype(jnp.uint32)
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    x = x ^ (x >> 16)
    return x


def hash_bits(words: jax.Array, n: int, stream: int = 0) -> jax.Array:
    """[..., n] uint32 from random row words [...]: lowbias32(word ^ lowbias32(i * golden + stream))."""
    i = jnp.arange(n, dtype=jnp.uint32)
    salt = lowbias32(i * jnp.uint32(0x9E3779B9) + jnp.uint32((0x632BE5AB + 0x9E3779B9 * stream) & 0xFFFFFFFF))
    return lowbias32(jnp.asarray(words, jnp.uint32)[..., None] ^ salt)


def bits_to_unit(h: jax.Array, dtype=None) -> jax.Array:
    """uint32 -> uniform in (0, 1) on the 2^24 midpoints."""
    dtype = dtype or jnp.zeros(()).dtype
    return ((h >> 8).astype(dtype) + 0.5) * (1.0 / (1 << 24))


def random_subset(u: jax.Array, pool, count) -> jax.Array:
    """``count`` distinct indices drawn uniformly from [0, pool) (R. Floyd's algorithm); int32[R].

    ``u``: R >= count uniforms in (0, 1), one per step; ``pool`` and ``count``
    may be traced. Step s draws t uniformly from [0, j], j = pool - count + s,
    and takes t unless already taken, else j: every count-subset is equally
    likely. Entries s >= count are -1. R sequential steps of O(R) work, no sort;
    under ``vmap`` with the seeds last (``seeds_last``), each step's "already taken?"
    is R vector comparisons across the seeds.
    """
    R = u.shape[0]
    return _floyd(u, jnp.asarray(pool, jnp.int32), jnp.asarray(count, jnp.int32), jnp.arange(R, dtype=jnp.int32))


@seeds_last
def _floyd(u, pool, count, slots):
    def step(s, picks):
        j = pool - count + s
        t = jnp.minimum(jnp.floor(u[s] * (j + 1).astype(u.dtype)).astype(jnp.int32), j)
        pick = jnp.where(s < count, jnp.where((picks == t).any(axis=0), j, t), -1)
        return jnp.where(slots == s, pick, picks)

    init = jnp.full(jnp.broadcast_shapes(u.shape, slots.shape, pool.shape, count.shape), -1, jnp.int32)
    return jax.lax.fori_loop(0, u.shape[0], step, init)


def nth_set(mask: jax.Array, p: jax.Array) -> jax.Array:
    """Index of the (p+1)-th True entry of the 1-d ``mask``, for each entry of ``p`` (int32, 0 <= p < mask.sum()).

    Rank-select on 32-bit words: pack the mask into words, find each p's word
    from the running popcounts (n/32 of them), then its bit by a 5-step binary
    descent on popcounts. O(n + |p| n/32) work, no scan over n per query.
    Entries of p outside [0, mask.sum()) give unspecified indices.
    """
    n = mask.shape[0]
    blocks = -(-n // 32)
    bits = jnp.pad(mask, (0, blocks * 32 - n)).reshape(blocks, 32).astype(jnp.uint32)
    words = (bits << jnp.arange(32, dtype=jnp.uint32)).sum(axis=1, dtype=jnp.uint32)  # distinct bits: sum = or
    counts = jax.lax.population_count(words).astype(jnp.int32)
    ends = jnp.cumsum(counts)  # set bits up to and including each word
    p = jnp.asarray(p, jnp.int32)
    block = jnp.minimum((ends[None, :] <= p[..., None]).sum(axis=-1), blocks - 1)
    rank = p - (ends[block] - counts[block])  # rank of the wanted bit inside its word
    word = words[block]
    pos = jnp.zeros_like(p)
    for width in (16, 8, 4, 2, 1):  # is the wanted bit past the next `width` bits from pos?
        low = jax.lax.population_count((word >> pos.astype(jnp.uint32)) & jnp.uint32((1 << width) - 1))
        past = rank >= low.astype(jnp.int32)
        rank = jnp.where(past, rank - low.astype(jnp.int32), rank)
        pos = jnp.where(past, pos + width, pos)
    return block * 32 + pos


def _hash_uniform(key, shape, stream=0):
    shape = tuple(shape)
    lead = shape[:-1] if len(shape) > 1 else ()
    words = jax.random.bits(key, lead, jnp.uint32)
    return bits_to_unit(hash_bits(words, shape[-1] if shape else 1, stream)).reshape(shape)


def _from_words(kind: str, words: jax.Array, width: int) -> jax.Array:
    """hash32's draws [..., width] of ``kind`` from their row words [...] (as ``_hash_uniform`` makes them)."""
    if kind == "normal":  # Box-Muller on two streams of the same row word
        u1, u2 = bits_to_unit(hash_bits(words, width, 0)), bits_to_unit(hash_bits(words, width, 1))
        return jnp.sqrt(-2.0 * jnp.log(u1)) * jnp.cos(2.0 * math.pi * u2)
    u = bits_to_unit(hash_bits(words, width))
    return -jnp.log(u) if kind == "exponential" else u


ROW_KINDS = ("uniform", "exponential", "normal")


def rows(kind: str, key, rounds: int, width: int) -> jax.Array:
    """``rounds`` rows of ``width`` draws of ``kind``, in the form a scan over rounds carries most cheaply.

    The values are those of ``uniform`` / ``exponential`` / ``normal(key, (rounds, width))``. Under hash32 a
    row is its one random word (uint32 [rounds]), expanded into its draws by ``row`` in the round that uses
    it: a chunk of noise costs 4 bytes a round instead of 4 x width, and the draws are computed where they are
    consumed (no [rounds, seeds, width] array written, transposed and read back). Under threefry the draws
    themselves ([rounds, width]; ``row`` passes them through).
    """
    if kind not in ROW_KINDS:
        raise ValueError(f"unknown kind of draws {kind!r}; valid choices: {', '.join(ROW_KINDS)}")
    if get_generator() == "threefry":
        return {"uniform": uniform, "exponential": exponential, "normal": normal}[kind](key, (rounds, width))
    return jax.random.bits(key, (rounds,), jnp.uint32)


def row(kind: str, r: jax.Array, width: int) -> jax.Array:
    """The ``width`` draws of one round from its entry of ``rows(kind, ...)`` (a word, or the draws)."""
    r = jnp.asarray(r)
    if r.dtype == jnp.uint32 and r.ndim == 0:
        return _from_words(kind, r, width)
    return r


def uniform(key, shape) -> jax.Array:
    """U(0, 1) draws (open interval under hash32)."""
    if get_generator() == "threefry":
        return jax.random.uniform(key, shape, minval=jnp.finfo(jnp.zeros(()).dtype).tiny)
    return _hash_uniform(key, shape)


def exponential(key, shape) -> jax.Array:
    """Exp(1) draws."""
    if get_generator() == "threefry":
        return jax.random.exponential(key, shape)
    return -jnp.log(_hash_uniform(key, shape))


def normal(key, shape) -> jax.Array:
    """N(0, 1) draws (Box-Muller under hash32)."""
    if get_generator() == "threefry":
        return jax.random.normal(key, shape)
    u1 = _hash_uniform(key, shape, stream=0)
    u2 = _hash_uniform(key, shape, stream=1)
    return jnp.sqrt(-2.0 * jnp.log(u1)) * jnp.cos(2.0 * math.pi * u2)
