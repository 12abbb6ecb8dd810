"""Offline comparators for max_{S∈C} Σ_t f_t(S) (spec §7), in NumPy, computed once per instance.

Everything takes ``values``: a callable mapping a batch of masks bool[B, n] to float[B] (e.g.
Σ_t f_t(S) for every row, see ``summed_values``), and a constraint: ``None`` (USM, all of 2^V) or
a ``Matroid`` (uniform: one block of rank k; partition: per-block capacities); for a matroid the
maximum is taken over its *bases* (the same as over independent sets for monotone f).

- ``brute_force``: exact, by enumerating every feasible set (n <= 20), in chunks.
- ``greedy``: offline greedy over the matroid (1 - 1/e for uniform, 1/2 for partition, monotone f).
- ``matroid_local_search``: 1-swap local search started from greedy (partition matroids).
- ``double_greedy``: Buchbinder, Feldman, Naor, Schwartz (2012); deterministic (1/3) or randomised
  with pre-drawn uniforms (1/2 in expectation).
- ``usm_local_search``: Feige, Mirrokni, Vondrák (2011) add/delete local search, better of S and V∖S.
- ``best_found``: exact when n <= 20, else the spec's "best found" and the method that found it.
Ties go to the lowest index / the first set in enumeration order.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import numpy as np

BRUTE_FORCE_MAX_N = 20


class Matroid(NamedTuple):
    blocks: np.ndarray  # int[n]  block of each element (all 0: uniform matroid)
    caps: np.ndarray  # int[B]  capacity (rank) of each block

    @staticmethod
    def uniform(n: int, k: int) -> "Matroid":
        return Matroid(np.zeros(n, np.int64), np.array([k], np.int64))

    @staticmethod
    def partition(blocks, caps) -> "Matroid":
        return Matroid(np.asarray(blocks, np.int64), np.asarray(caps, np.int64))

    @property
    def rank(self) -> int:
        return int(self.caps.sum())

    def is_base(self, masks) -> np.ndarray:
        masks = np.atleast_2d(masks)
        counts = np.stack([masks[:, self.blocks == b].sum(1) for b in range(len(self.caps))], axis=1)
        return np.all(counts == self.caps[None, :], axis=1)

    def can_add(self, mask) -> np.ndarray:
        """Elements i ∉ S with S + i independent: bool[n]."""
        used = np.bincount(self.blocks[mask], minlength=len(self.caps))
        return ~mask & (used[self.blocks] < self.caps[self.blocks])


class Best(NamedTuple):
    value: float
    mask: np.ndarray  # bool[n]
    method: str  # "brute_force" (exact) or the heuristic that found it


def summed_values(stack) -> Callable[[np.ndarray], np.ndarray]:
    """masks[B, n] -> Σ_t f_t(S_b) for a stacked family (leading axis = rounds), jitted JAX.

    Batches are zero-padded to a power of two (>= 8) so a whole search compiles a handful of times.
    """
    import jax
    import jax.numpy as jnp

    @jax.jit
    def run(masks):
        per_round = jax.vmap(lambda f: jax.vmap(f.value)(masks))(stack)  # [T, B]
        return jnp.sum(per_round, axis=0)

    def call(masks):
        masks = np.atleast_2d(np.asarray(masks, bool))
        b = masks.shape[0]
        size = max(8, 1 << (b - 1).bit_length())
        padded = np.zeros((size, masks.shape[1]), bool)
        padded[:b] = masks
        return np.asarray(run(jnp.asarray(padded)), float)[:b]

    return call


def _all_masks(n: int, start: int, stop: int) -> np.ndarray:
    codes = np.arange(start, stop, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n)[None, :]) & 1).astype(bool)


def _feasible_masks(n: int, matroid: Optional[Matroid], chunk: int):
    """Every feasible mask (all of 2^V, or the matroid's bases), yielded in batches of ``chunk`` rows."""
    buf, size = [], 0
    for start in range(0, 1 << n, chunk):
        masks = _all_masks(n, start, min(start + chunk, 1 << n))
        if matroid is not None:
            masks = masks[matroid.is_base(masks)]
        buf.append(masks)
        size += masks.shape[0]
        while size >= chunk:
            allm = np.concatenate(buf)
            yield allm[:chunk]
            buf, size = [allm[chunk:]], allm.shape[0] - chunk
    if size:
        yield np.concatenate(buf)


def brute_force(values, n: int, matroid: Optional[Matroid] = None, chunk: int = 1 << 15) -> Best:
    """Exact max over 2^V (matroid None) or over the bases of ``matroid``; n <= 20.

    Only feasible sets are evaluated, in batches of ``chunk`` (the last one shorter); ties go to the
    first set in binary-code order (element i is bit i)."""
    if n > BRUTE_FORCE_MAX_N:
        raise ValueError(f"brute force needs n <= {BRUTE_FORCE_MAX_N}, got n = {n}")
    best_v, best_m = -np.inf, None
    for masks in _feasible_masks(n, matroid, chunk):
        v = np.asarray(values(masks), float)
        i = int(np.argmax(v))
        if v[i] > best_v:
            best_v, best_m = float(v[i]), masks[i].copy()
    if best_m is None:
        raise ValueError("the matroid has no base")
    return Best(best_v, best_m, "brute_force")


def _singletons_added(mask, cand):
    """Masks S + i for every i in cand (bool[n]): ([len(cand), n], indices)."""
    idx = np.flatnonzero(cand)
    masks = np.repeat(mask[None, :], len(idx), axis=0)
    masks[np.arange(len(idx)), idx] = True
    return masks, idx


def greedy(values, n: int, matroid: Matroid) -> Best:
    """Greedy over a matroid: add the feasible element of largest marginal gain, rank times."""
    mask = np.zeros(n, bool)
    for _ in range(matroid.rank):
        cand = matroid.can_add(mask)
        if not cand.any():
            break
        masks, idx = _singletons_added(mask, cand)
        mask = masks[int(np.argmax(values(masks)))]
    return Best(float(values(mask[None])[0]), mask, "greedy")


def matroid_local_search(values, n: int, matroid: Matroid, start: Optional[np.ndarray] = None,
                         eps: float = 1e-9, max_iters: int = 1000) -> Best:
    """Best-improvement 1-swap local search over bases (swap i ∈ S for j ∉ S in the same block)."""
    mask = greedy(values, n, matroid).mask if start is None else np.asarray(start, bool).copy()
    cur = float(values(mask[None])[0])
    for _ in range(max_iters):
        pairs = [(i, j) for i in np.flatnonzero(mask) for j in np.flatnonzero(~mask)
                 if matroid.blocks[i] == matroid.blocks[j]]
        if not pairs:
            break
        masks = np.repeat(mask[None, :], len(pairs), axis=0)
        for r, (i, j) in enumerate(pairs):
            masks[r, i], masks[r, j] = False, True
        v = values(masks)
        r = int(np.argmax(v))
        if v[r] <= cur + eps * max(abs(cur), 1.0):
            break
        mask, cur = masks[r], float(v[r])
    return Best(cur, mask, "local_search")


def double_greedy(values, n: int, u: Optional[np.ndarray] = None) -> Best:
    """Double greedy for USM. u[n] pre-drawn uniforms: randomised (1/2); None: deterministic (1/3).

    X = ∅, Y = V; for i = 1..n: a = f(X + i) - f(X), b = f(Y - i) - f(Y);
    deterministic: add i to X if a >= b else remove i from Y;
    randomised: add with probability a⁺ / (a⁺ + b⁺) (1 if both are 0).
    """
    X = np.zeros(n, bool)
    Y = np.ones(n, bool)
    for i in range(n):
        Xi, Yi = X.copy(), Y.copy()
        Xi[i], Yi[i] = True, False
        fx, fxi, fy, fyi = values(np.stack([X, Xi, Y, Yi]))
        a, b = fxi - fx, fyi - fy
        if u is None:
            add = a >= b
        else:
            ap, bp = max(a, 0.0), max(b, 0.0)
            add = True if ap + bp == 0 else u[i] < ap / (ap + bp)
        if add:
            X = Xi
        else:
            Y = Yi
    return Best(float(values(X[None])[0]), X, "double_greedy" if u is None else "random_double_greedy")


def usm_local_search(values, n: int, eps: float = 0.1, max_iters: int = 10000) -> Best:
    """Feige-Mirrokni-Vondrák local search: from the best singleton, add or delete one element while
    that improves f by a factor > 1 + eps/n²; return the better of S and V∖S ((1/3 - eps/n)-approx)."""
    eye = np.eye(n, dtype=bool)
    sv = values(eye)
    mask = eye[int(np.argmax(sv))].copy()
    cur = float(sv.max())
    for _ in range(max_iters):
        flips = mask[None, :] ^ eye  # add i if i ∉ S, delete it otherwise
        v = values(flips)
        r = int(np.argmax(v))
        if not v[r] > (1.0 + eps / n**2) * cur:
            break
        mask, cur = flips[r], float(v[r])
    comp = ~mask
    vc = float(values(comp[None])[0])
    return Best(cur, mask, "local_search") if cur >= vc else Best(vc, comp, "local_search")


def best_found(values, n: int, matroid: Optional[Matroid] = None, seed: int = 0) -> Best:
    """Exact (brute force) for n <= 20; else the best heuristic (spec §7), naming its method.

    Matroid: best of greedy and swap local search from greedy. USM: best of deterministic double
    greedy, 16 randomised double greedy runs and FMV local search.
    """
    if n <= BRUTE_FORCE_MAX_N:
        return brute_force(values, n, matroid)
    if matroid is not None:
        cands = [greedy(values, n, matroid)]
        cands.append(matroid_local_search(values, n, matroid, start=cands[0].mask))
    else:
        rng = np.random.default_rng(seed)
        cands = [double_greedy(values, n), usm_local_search(values, n)]
        cands += [double_greedy(values, n, rng.uniform(size=n)) for _ in range(16)]
    return max(cands, key=lambda b: b.value)

