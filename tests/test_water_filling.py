"""The optimal allocation against brute force, on hundreds of random small instances with ties."""
import itertools

import jax
import numpy as np
import pytest

from bandits.allocation.reference import greedy_allocation, uniform_allocation
from bandits.allocation.water_filling import explore_or_exploit as _explore_or_exploit
from bandits.allocation.water_filling import optimal_allocation, random_priorities

explore_or_exploit = jax.jit(_explore_or_exploit, static_argnums=2)


def all_allocations(n, B):
    for a in itertools.product(range(B + 1), repeat=n):
        if sum(a) == B:
            yield np.array(a)


def instances(count, seed):
    rng = np.random.default_rng(seed)
    for trial in range(count):
        n = int(rng.integers(1, 6))
        B = int(rng.integers(1, 8))
        if trial % 3 == 0:  # many exact ties (integers, repeated values)
            s = rng.integers(1, 4, size=n).astype(float)
        elif trial % 3 == 1:
            s = rng.choice([0.5, 1.0, 1.5, 2.0], size=n)
        else:
            s = rng.uniform(0.05, 3.0, size=n)
        yield s, B


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_brute_force(seed):
    for s, B in instances(200, seed):
        a = optimal_allocation(s, B)
        assert a.sum() == B and (a >= 0).all()
        cands = list(all_allocations(len(s), B))
        values = np.array([np.max(c * s) for c in cands])
        best = values.min()
        # value: optimal
        assert np.isclose(np.max(a * s), best), (s, B, a)
        # minimal |argmax_i a_i s_i| among optimal allocations (Lemma B.3)
        def n_argmax(c):
            v = c * s
            return int(np.sum(np.isclose(v, v.max())))
        min_argmax = min(n_argmax(c) for c, v in zip(cands, values) if np.isclose(v, best))
        assert n_argmax(a) == min_argmax, (s, B, a)
        # Lemma C.1: a_j s_j <= (a_i + 1) s_i for all i, j
        assert np.all((a * s)[:, None] <= ((a + 1) * s)[None, :] + 1e-12)
        # exactly greedy water-filling with ties to the lowest index
        assert np.array_equal(a, greedy_allocation(s, B))


def test_larger_instances_match_greedy():
    rng = np.random.default_rng(3)
    for trial in range(40):
        n, B = [(100, 23), (30, 7)][trial % 2]  # fixed shapes: one compile each
        s = rng.uniform(1, 100, size=n).round(int(rng.integers(0, 3)))  # rounding creates ties
        s = np.maximum(s, 0.5)
        assert np.array_equal(optimal_allocation(s, B), greedy_allocation(s, B))


def test_exploration_is_uniform_over_zero_scores():
    n, B = 12, 23
    scores = np.full(n, 5.0)
    zero = np.zeros(n, bool)
    zero[[1, 4, 7]] = True
    scores[zero] = 0.0
    scores[7] = -np.inf  # an unsampled worker
    for word in range(50):
        pr = random_priorities(np.uint32(word * 7919), n)
        alloc = explore_or_exploit(scores, np.uint32(word * 7919), B)
        a = np.zeros(n, int)
        np.add.at(a, np.asarray(alloc.workers), np.asarray(alloc.units))
        assert a.sum() == B and (a[~zero] == 0).all()
        assert sorted(a[zero]) == [7, 8, 8]  # floor(23/3) = 7 each, 23 mod 3 = 2 get one more
        assert np.array_equal(a, uniform_allocation(zero, np.asarray(pr), B))


def test_exploration_with_more_zero_workers_than_budget():
    n, B = 40, 5
    counts = np.zeros(n)
    for word in range(400):
        alloc = explore_or_exploit(np.full(n, -np.inf), np.uint32(word), B)
        a = np.zeros(n, int)
        np.add.at(a, np.asarray(alloc.workers), np.asarray(alloc.units))
        assert a.sum() == B and a.max() == 1
        counts += a
    # uniformly random subsets: every worker picked ~ 400 * 5/40 = 50 times
    assert counts.min() > 25 and counts.max() < 80


@pytest.mark.parametrize("bad", [[1.0, 0.0], [1.0, -2.0], [np.inf, 1.0], [np.nan, 1.0]])
def test_rejects_non_positive_scores(bad):
    with pytest.raises(ValueError, match="> 0"):
        optimal_allocation(np.array(bad), 3)


def test_rejects_bad_budget():
    with pytest.raises(ValueError, match="budget"):
        optimal_allocation(np.array([1.0, 2.0]), 0)


def test_rank_rule_equals_the_reference_priority_rule():
    """n <= B: extras to the highest priorities, ties to the lower index (O(n^2) ranks vs NumPy lexsort)."""
    from bandits.allocation.water_filling import uniform_by_rank

    rng = np.random.default_rng(5)
    for trial in range(50):
        n, B = int(rng.integers(1, 12)), int(rng.integers(1, 30))
        mask = rng.random(n) < 0.6
        mask[int(rng.integers(0, n))] = True
        pr = rng.integers(0, 4, size=n).astype(np.float32) / 4 + 0.1  # many ties
        assert np.array_equal(np.asarray(uniform_by_rank(mask, pr, B)), uniform_allocation(mask, pr, B))


def test_sampled_exploration_matches_reference_for_n_above_budget():
    """n > B: Floyd's subsets over the zero-score workers, both z > B and z <= B, as the NumPy reference."""
    from bandits.allocation.reference import uniform_allocation_sampled

    rng = np.random.default_rng(6)
    n, B = 70, 9
    for trial in range(120):
        z = [1, 3, 9, 10, 40, 70][trial % 6]
        scores = rng.uniform(1, 5, size=n)
        scores[rng.choice(n, size=z, replace=False)] = [0.0, -np.inf][trial % 2]
        word = np.uint32(rng.integers(0, 2**32))
        alloc = explore_or_exploit(scores, word, B)
        assert len(set(np.asarray(alloc.workers).tolist())) == B  # distinct slots
        a = np.zeros(n, int)
        np.add.at(a, np.asarray(alloc.workers), np.asarray(alloc.units))
        assert np.array_equal(a, uniform_allocation_sampled(scores <= 0, int(word), B)), (z, trial)


def test_nth_set_bit():
    from bandits.core.rng import nth_set

    rng = np.random.default_rng(7)
    for n in [1, 5, 31, 32, 33, 100, 459]:
        mask = rng.random(n) < 0.3
        mask[0] = True
        where = np.flatnonzero(mask)
        got = np.asarray(jax.jit(nth_set)(mask, np.arange(len(where), dtype=np.int32)))
        assert np.array_equal(got, where), n


def test_batched_kernels_equal_one_instance_at_a_time():
    """Under vmap the kernels run with the seeds last (``seeds_last``): each instance's result must be the one it
    gets alone, for water-filling with ties (n <= B and the n > B candidates), the rank rule and Floyd's subsets."""
    from bandits.allocation.water_filling import uniform_by_rank, water_fill
    from bandits.core.rng import random_subset

    rng = np.random.default_rng(8)
    S, n, B = 40, 9, 23
    s = rng.integers(1, 5, size=(S, n)).astype(np.float32) / 2  # exact ties
    idx = np.stack([rng.permutation(n) for _ in range(S)]).astype(np.int32)  # candidates in any order
    fill = jax.jit(water_fill, static_argnums=2)
    batched = np.asarray(jax.jit(jax.vmap(water_fill, in_axes=(0, 0, None)), static_argnums=2)(s, idx, B))
    assert all(np.array_equal(batched[i], np.asarray(fill(s[i], idx[i], B))) for i in range(S))
    assert all(np.array_equal(batched[i][np.argsort(idx[i])], greedy_allocation(s[i][np.argsort(idx[i])], B))
               for i in range(S))
    mask = rng.random((S, n)) < 0.6
    mask[:, 0] = True
    pr = (rng.integers(0, 4, size=(S, n)) / 4 + 0.1).astype(np.float32)
    ranks = np.asarray(jax.vmap(uniform_by_rank, in_axes=(0, 0, None))(mask, pr, B))
    assert all(np.array_equal(ranks[i], uniform_allocation(mask[i], pr[i], B)) for i in range(S))
    u = rng.random((S, 7)).astype(np.float32)
    pool = rng.integers(7, 30, size=S).astype(np.int32)
    picks = np.asarray(jax.vmap(random_subset, in_axes=(0, 0, None))(u, pool, 5))
    assert all(np.array_equal(picks[i], np.asarray(random_subset(u[i], pool[i], 5))) for i in range(S))


@pytest.mark.parametrize("n,B", [(9, 23), (17, 23), (40, 7)])
def test_exploring_everyone_is_the_all_zero_exploration(n, B):
    """``explore_everyone`` (no scores) gives the allocation that ``explore_or_exploit`` gives when every score is
    0 or unsampled, bit for bit, alone and batched; UTA is the same rule."""
    from bandits.allocation.water_filling import explore_everyone

    words = np.arange(64, dtype=np.uint32) * np.uint32(2654435761)
    scores = np.where(np.arange(n) % 3 == 0, -np.inf, 0.0)
    every = jax.vmap(lambda w: explore_everyone(w, n, B))(words)
    ref = jax.vmap(lambda w: _explore_or_exploit(scores, w, B))(words)
    for a, b in zip(every, ref):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    one = explore_everyone(words[5], n, B)
    assert np.array_equal(np.asarray(one.workers), np.asarray(ref.workers[5]))
    assert np.array_equal(np.asarray(one.units), np.asarray(ref.units[5]))
