"""The strongest CPU peer of the JAX path: ATA's per-seed loop compiled with numba, one process per core.

    python benchmarks/ata_numba.py [--n 17] [--budget 23] [--rounds 2000] [--seeds 1000] [--procs N]

Same algorithm as ``bandits/allocation/reference.py`` (Algorithm 1 with the LCB
of eq. 7): uniform exploration over the workers with score <= 0 while there is
any (per-worker hash priorities when n <= B, Floyd's subsets when n > B),
otherwise greedy water-filling on the scores, ties to the lowest index;
shifted-exponential task times laid out by worker index, round time = the
largest per-worker sum, total worker time, proxy regret (eq. 9) recorded on a
checkpoint grid. Fed the reference's standard draws ``z`` and round words
(``run_fed``), it makes the reference's allocations round for round
(``tests/test_numba_peer.py``).

Written as a competent numba user would, for speed:

* everything preallocated, no Python objects in the loop; one compiled call per seed;
* scores are one vectorised pass over n, strength-reduced: eq. 7 as
  mu_i - 4 e alpha (sqrt(L) / sqrt(K_i) + L / K_i) with 1/K_i, 1/sqrt(K_i) and the
  mean updated only when worker i runs tasks, sqrt(L) once per round (5x faster
  than a division and a square root per worker; the roundings may differ from
  the reference's in the last bit, which the parity test shows to be harmless);
* exploitation with n > B first keeps the B smallest scores (one pass, sorted
  insertion buffer; no other worker can receive a unit) and puts them in index
  order (branch-free ranks), then water-fills them: jump start at the continuous
  level B / sum(1/s) (every slot below it is one greedy takes), then greedy steps
  for the < m + 1 remaining units (a branch-free min over the next slots, then
  the first candidate holding it);
* exploration draws one random word only in the rounds that explore; the extra
  units (n <= B) go by branch-free ranks of (priority, index) keys; with n > B,
  Floyd's picks are put in index order by branch-free ranks, and the zero-score
  workers are compacted (branch-free) only when not all of them explore;
* task times from numpy's ``Generator`` inside the compiled loop (ziggurat
  exponentials, ~3 ns each): its own draws, equal work, not the JAX draws.

Seeds are spread over ``os.cpu_count()`` processes (spawned, so the parent's
threads, e.g. JAX's, are never forked); compilation happens once per process
before timing starts and is reported apart. Compiled code is kept in numba's
on-disk cache (``benchmarks/__pycache__``, git-ignored), so a second run and the
processes load it in well under a second instead of compiling.

This module needs only numpy and numba (no JAX): the processes stay light.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time

import numba
import numpy as np
from numba import njit

_M32 = np.uint64(0xFFFFFFFF)
_U16 = np.uint64(16)
_U15 = np.uint64(15)
_U8 = np.uint64(8)
_U32 = np.uint64(32)
_H1 = np.uint64(0x7FEB352D)
_H2 = np.uint64(0x846CA68B)
_F_HALF = np.float32(0.5)
_F_2M24 = np.float32(1.0 / (1 << 24))


# ---------------------------------------------------------------- pieces of one round

@njit(cache=True, error_model="numpy")
def _lowbias32(x):
    """C. Wellons' lowbias32 on a uint64 holding a 32-bit value (as reference.lowbias32)."""
    x = x ^ (x >> _U16)
    x = (x * _H1) & _M32
    x = x ^ (x >> _U15)
    x = (x * _H2) & _M32
    x = x ^ (x >> _U16)
    return x


def worker_salts(count: int) -> np.ndarray:
    """lowbias32(i * 0x9E3779B9 + 0x632BE5AB) for i < count: the word-independent half of the priority hash."""
    i = np.arange(count, dtype=np.uint64)
    x = (i * np.uint64(0x9E3779B9) + np.uint64(0x632BE5AB)) & _M32
    return _lowbias32_vec(x)


@njit(cache=True, error_model="numpy")
def _lowbias32_vec(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = _lowbias32(x[i])
    return out


@njit(cache=True, error_model="numpy")
def _explore_dense(s, word, salts, budget, wk, un, keys):
    """n <= B: B // z units to each of the z workers with score <= 0, one more to the B mod z of highest
    priority (ties to the lower index); priorities compared as their 24-bit integers, which is exactly the
    float32 order of reference.priorities. Slots in worker-index order; returns the number of slots."""
    n = s.shape[0]
    z = 0
    for i in range(n):  # branch-free compaction of the zero-score workers
        wk[z] = i
        z += s[i] <= 0.0
    base = budget // z
    r = budget % z
    for p in range(z):
        un[p] = base
    if r > 0:
        for p in range(z):  # priority in the high bits, ties to the lower position (= lower index) below
            keys[p] = ((_lowbias32(word ^ salts[wk[p]]) >> _U8) << _U32) | (_M32 - np.uint64(p))
        for p in range(z):  # rank among the masked workers: O(z^2) branch-free compares, z <= n <= B
            kp = keys[p]
            rank = 0
            for q in range(z):
                rank += keys[q] > kp
            un[p] += rank < r
    return z


@njit(cache=True, error_model="numpy")
def _floyd(word, salts, pool, count, stamp, tag, picks):
    """Floyd's algorithm: ``count`` distinct positions of [0, pool) into picks[:count] (as
    reference.floyd_subset, float32 uniforms u[s] = hash(word, s)). ``stamp[pos] == tag`` marks a taken one."""
    for s in range(count):
        j = pool - count + s
        q = _lowbias32(word ^ salts[s]) >> _U8
        u = (np.float32(q) + _F_HALF) * _F_2M24
        t = int(math.floor(u * np.float32(j + 1)))
        if t > j:
            t = j
        if stamp[t] == tag:
            t = j
        stamp[t] = tag
        picks[s] = t


@njit(cache=True, error_model="numpy")
def _explore_sampled(s, z, word, salts, budget, wk, un, pos, stamp, tag, picks):
    """n > B: if z > B, B of the z zero-score workers (Floyd over their index-order positions) get one task;
    else each gets B // z and B mod z of them one more. Slots in worker-index order; returns the slot count."""
    n = s.shape[0]
    if z < n:  # positions -> workers: branch-free compaction of the zero-score workers (identity when all are)
        c = 0
        for i in range(n):
            pos[c] = i
            c += s[i] <= 0.0
    if z > budget:
        _floyd(word, salts, z, budget, stamp, tag, picks)
        for p in range(budget):  # index order without sorting: rank of each (distinct) pick among the picks
            v = picks[p]
            rank = 0
            for q in range(budget):
                rank += picks[q] < v
            wk[rank] = pos[v] if z < n else v
            un[rank] = 1
        return budget
    base = budget // z
    r = budget % z
    for p in range(z):
        wk[p] = pos[p]
        un[p] = base
    if r > 0:
        _floyd(word, salts, z, r, stamp, tag, picks)
        for t in range(r):
            un[picks[t]] += 1
    return z


@njit(cache=True, error_model="numpy")
def _count_below(v, s, budget):
    """#{k in 1..budget : k*s < v}, exact on the products k*s."""
    c = math.ceil(v / s) - 1.0
    if c < 0.0:
        c = 0.0
    if c > budget:
        c = float(budget)
    if c < budget and (c + 1.0) * s < v:
        c += 1.0
    if c > 0.0 and c * s >= v:
        c -= 1.0
    return int(c)


@njit(cache=True, error_model="numpy", fastmath={"nnan", "ninf", "nsz"})
def _min(x, m):
    """min of x[:m] (finite, > 0 here: the flags only let the reduction be branch-free, the result is exact)."""
    v = x[0]
    for p in range(1, m):
        v = min(v, x[p])
    return v


@njit(cache=True, error_model="numpy")
def _water_fill(s, m, budget, un, nxt):
    """Greedy water-filling of ``budget`` units over the candidates s[:m] (> 0, listed in worker-index order,
    so ties go to the lowest position = lowest index) into un[:m]: jump start + greedy for the rest.
    nxt[:m]: scratch, each candidate's next slot (a + 1) s."""
    inv = 0.0
    for p in range(m):
        inv += 1.0 / s[p]
    level = budget / inv * (1.0 - 1e-5)  # below L*: every slot under it is one greedy takes
    given = 0
    for p in range(m):
        a = _count_below(level, s[p], budget)
        un[p] = a
        given += a
        nxt[p] = (a + 1) * s[p]
    while given < budget:  # greedy's steps: the smallest next slot, ties to the lowest position
        v = _min(nxt, m)
        p = 0
        while nxt[p] != v:
            p += 1
        un[p] += 1
        nxt[p] = (un[p] + 1) * s[p]
        given += 1


@njit(cache=True, error_model="numpy")
def water_fill_dense(s, budget):
    """Greedy water-filling over all workers (s > 0), dense int64[n]; for tests against reference.greedy_allocation."""
    n = s.shape[0]
    if n <= budget:
        un = np.zeros(n, np.int64)
        _water_fill(s, n, budget, un, np.empty(n))
        return un
    m = budget
    cs = np.empty(m)
    ci = np.empty(m, np.int64)
    cs2 = np.empty(m)
    ci2 = np.empty(m, np.int64)
    un = np.zeros(m, np.int64)
    _smallest(s, m, cs, ci)
    _sort_by_index(cs, ci, m, cs2, ci2)
    _water_fill(cs2, m, budget, un, np.empty(m))
    out = np.zeros(n, np.int64)
    for p in range(m):
        out[ci2[p]] = un[p]
    return out


@njit(cache=True, error_model="numpy")
def _smallest(s, m, cs, ci):
    """The m smallest of s in (value, index) order into cs[:m], ci[:m] (one pass, sorted insertion buffer)."""
    n = s.shape[0]
    for i in range(m):  # sort the first m
        v = s[i]
        t = i - 1
        while t >= 0 and cs[t] > v:
            cs[t + 1] = cs[t]
            ci[t + 1] = ci[t]
            t -= 1
        cs[t + 1] = v
        ci[t + 1] = i
    worst = cs[m - 1]
    for i in range(m, n):
        v = s[i]
        if v < worst:  # strictly: an equal value comes later in index order, so it ranks after
            t = m - 2
            while t >= 0 and cs[t] > v:
                cs[t + 1] = cs[t]
                ci[t + 1] = ci[t]
                t -= 1
            cs[t + 1] = v
            ci[t + 1] = i
            worst = cs[m - 1]


@njit(cache=True, error_model="numpy")
def _sort_by_index(cs, ci, m, cs_out, ci_out):
    """(cs, ci)[:m] reordered by the (distinct) indices ci into (cs_out, ci_out): branch-free ranks, O(m^2)."""
    for p in range(m):
        w = ci[p]
        rank = 0
        for q in range(m):
            rank += ci[q] < w
        cs_out[rank] = cs[p]
        ci_out[rank] = w


# ---------------------------------------------------------------- the loop

@njit(cache=True, error_model="numpy")
def _run(rng, fed_z, fed_words, fed, rounds, budget, scales, means, c4, opt_loss, salts, grid, out, allocs):
    """One seed, ``rounds`` rounds. fed: take z[k] and words[k] from fed_z / fed_words (else draw from rng).
    Writes (runtime, worker time, proxy regret) after each grid round into out[G, 3]; when allocs has
    ``rounds`` rows, the dense allocation of each round too. Returns the number of exploiting rounds."""
    n = scales.shape[0]
    m = min(n, budget)
    counts = np.zeros(n)  # K_i (exact in float64)
    totals = np.zeros(n)
    mean = np.full(n, -np.inf)  # T_i / K_i; -inf while unsampled (its score is then 0: "explore it")
    ik = np.zeros(n)  # 1 / K_i
    rk = np.zeros(n)  # 1 / sqrt(K_i)
    s = np.empty(n)
    wk = np.empty(m, np.int64)  # slots: workers in index order, and their units
    un = np.empty(m, np.int64)
    cs = np.empty(m)
    nxt = np.empty(m)
    pos = np.empty(n, np.int64)
    stamp = np.full(n, -1, np.int64)
    picks = np.empty(budget, np.int64)
    zrow = np.empty(budget)
    keys = np.empty(m, np.uint64)
    keep = allocs.shape[0] == rounds
    log2 = math.log(2.0)
    runtime = 0.0
    worker_time = 0.0
    regret = 0.0
    exploit = 0
    g = 0
    for k in range(1, rounds + 1):
        # scores, eq. (7): (mu_i - 4 e alpha (sqrt(L/K_i) + L/K_i))_+ with L = ln(2 k^2), strength-reduced to
        # two products per worker (1/K_i and 1/sqrt(K_i) change only when worker i runs tasks)
        L = log2 + 2.0 * math.log(float(k))
        sL = math.sqrt(L)
        nzero = 0
        for i in range(n):
            v = max(mean[i] - c4 * (sL * rk[i] + L * ik[i]), 0.0)
            s[i] = v
            nzero += v <= 0.0
        if nzero > 0:  # some score <= 0 (unsampled workers included): uniform exploration over them
            word = fed_words[k - 1] if fed else np.uint64(rng.integers(0, 4294967296))
            if n > budget:
                cnt = _explore_sampled(s, nzero, word, salts, budget, wk, un, pos, stamp, k, picks)
            else:
                cnt = _explore_dense(s, word, salts, budget, wk, un, keys)
        else:
            exploit += 1
            if n > budget:
                _smallest(s, m, nxt, pos)  # (nxt, pos: scratch here)
                _sort_by_index(nxt, pos, m, cs, wk)
            else:
                for i in range(n):
                    cs[i] = s[i]
                    wk[i] = i
            _water_fill(cs, m, budget, un, nxt)
            cnt = m
        # tasks, laid out worker by worker in index order
        if fed:
            for u in range(budget):
                zrow[u] = fed_z[k - 1, u]
        else:
            for u in range(budget):
                zrow[u] = rng.standard_exponential()
        t = 0
        longest = 0.0
        loss = 0.0
        for p in range(cnt):
            a = un[p]
            if a == 0:
                continue
            w = wk[p]
            c = scales[w]
            sw = 0.0
            for _ in range(a):
                x = c * (1.0 + zrow[t])
                t += 1
                sw += x
                worker_time += x
            if sw > longest:
                longest = sw
            lw = a * means[w]
            if lw > loss:
                loss = lw
            counts[w] += a
            totals[w] += sw
            mean[w] = totals[w] / counts[w]
            ik[w] = 1.0 / counts[w]
            rk[w] = math.sqrt(ik[w])
            if keep:
                allocs[k - 1, w] = a
        runtime += longest
        regret += loss - opt_loss
        while g < grid.shape[0] and grid[g] == k:
            out[g, 0] = runtime
            out[g, 1] = worker_time
            out[g, 2] = regret
            g += 1
    return exploit


# ---------------------------------------------------------------- problem and Python entry points

def problem_arrays(n: int, budget: int, base: float = 29.0, power: float = 0.5):
    """(scales, means, optimal loss) of the shifted exponential X_i = c_i + Exp(c_i), c_i = base i^power."""
    scales = base * np.arange(1, n + 1, dtype=np.float64) ** power
    means = 2.0 * scales
    a_bar = water_fill_dense(means, budget)
    return scales, means, float(np.max(a_bar * means))


class Setting:
    """Everything one seed's loop needs, built once per process."""

    def __init__(self, n, budget, rounds, grid, alpha=None, alpha_factor=2.0, base=29.0, power=0.5):
        self.n, self.budget, self.rounds = int(n), int(budget), int(rounds)
        self.scales, self.means, self.opt_loss = problem_arrays(self.n, self.budget, base, power)
        self.alpha = float(alpha) if alpha is not None else alpha_factor * float(np.max(self.means))
        self.c4 = 4 * math.e * self.alpha  # as reference.lcb_scores: (4 e alpha) * rad
        self.grid = np.asarray(grid, dtype=np.int64)
        self.salts = worker_salts(max(self.n, self.budget))
        self._nz = np.zeros((1, self.budget))
        self._nw = np.zeros(1, np.uint64)
        self._na = np.zeros((0, self.n), np.int64)

    def run_seed(self, seed: int):
        """Its own draws (numpy Generator seeded with ``seed``): (metrics [G, 3], exploiting rounds)."""
        out = np.zeros((self.grid.shape[0], 3))
        ex = _run(np.random.default_rng(seed), self._nz, self._nw, False, self.rounds, self.budget, self.scales,
                  self.means, self.c4, self.opt_loss, self.salts, self.grid, out, self._na)
        return out, ex


def run_fed(z, words, scales, budget, alpha, means=None, opt_loss=0.0):
    """The loop on given standard draws z [K, B] and round words [K] (as reference.run_ata_numpy).

    Returns (allocations [K, n], runtime, worker_time, proxy_regret, exploiting rounds)."""
    z = np.ascontiguousarray(z, dtype=np.float64)
    words = np.asarray(words).astype(np.uint64)
    scales = np.asarray(scales, dtype=np.float64)
    K, n = z.shape[0], scales.shape[0]
    means = 2.0 * scales if means is None else np.asarray(means, dtype=np.float64)
    out = np.zeros((1, 3))
    allocs = np.zeros((K, n), np.int64)
    ex = _run(np.random.default_rng(0), z, words, True, K, int(budget), scales, means, 4 * math.e * float(alpha),
              float(opt_loss), worker_salts(max(n, int(budget))), np.array([K], np.int64), out, allocs)
    return allocs, float(out[0, 0]), float(out[0, 1]), float(out[0, 2]), int(ex)


def compile_now() -> float:
    """Compile the loop, or load it from numba's on-disk cache (benchmarks/__pycache__), with one tiny call;
    returns the seconds it took (``from_cache()`` tells which)."""
    t0 = time.perf_counter()
    st = Setting(3, 2, 4, np.array([4]))
    st.run_seed(0)
    return time.perf_counter() - t0


def from_cache() -> bool:
    """Whether this process loaded the loop from numba's cache instead of compiling it."""
    return sum(_run.stats.cache_hits.values()) > 0 and sum(_run.stats.cache_misses.values()) == 0


def main():
    from numba_pool import Pool  # benchmarks/ is on sys.path when run as a script

    from bandits.core.checkpoints import log_grid  # the runner's grid (imports JAX: main only, not the workers)

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=17)
    ap.add_argument("--budget", type=int, default=23)
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    grid = log_grid(args.rounds, 20)
    comp = compile_now()
    st = Setting(args.n, args.budget, args.rounds, grid)
    t0 = time.perf_counter()
    _, ex = st.run_seed(0)
    one = args.rounds / (time.perf_counter() - t0)
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, numba {numba.__version__}")
    print(f"# ATA n={args.n}, B={args.budget}, {args.rounds} rounds; "
          f"{'loaded from cache' if from_cache() else 'compiled'} in {comp:.1f} s")
    print(f"one seed, one core: {one:,.0f} rounds/s ({ex / args.rounds:.0%} exploiting)")
    with Pool("ata_numba", args.procs) as pool:
        walls = []
        for _ in range(args.repeats):
            out, ex, wall = pool.run(range(args.seeds), args.n, args.budget, args.rounds, grid)
            walls.append(wall)
        rate = args.seeds * args.rounds / statistics.median(walls)
        print(f"{args.seeds} seeds, {pool.procs} processes: {rate:,.0f} seed-rounds/s "
              f"({ex / (args.seeds * args.rounds):.0%} exploiting; worker compile {pool.compile_time:.1f} s)")


if __name__ == "__main__":
    main()
