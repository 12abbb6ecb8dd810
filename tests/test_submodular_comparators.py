"""Offline comparators: brute force equals a plain exhaustive search (n <= 12); greedy, double
greedy and local search meet their approximation guarantees against it."""
import itertools

import jax
import numpy as np
import pytest

from bandits.submodular import functions as fn
from bandits.submodular.comparators import (
    Matroid,
    best_found,
    brute_force,
    double_greedy,
    greedy,
    matroid_local_search,
    summed_values,
    usm_local_search,
)

T = 4  # rounds summed in every instance


def stacked(make, key, T=T):
    return jax.vmap(make)(jax.random.split(key, T))


def monotone_instances(n, seed):
    key = jax.random.PRNGKey(seed)
    k1, k2, k3 = jax.random.split(key, 3)
    return {
        "coverage": stacked(lambda k: fn.random_coverage(k, n, 3 * n, density=0.15), k1),
        "facility": stacked(lambda k: fn.random_facility_location(k, n, 6, sparsity=0.5), k2),
        "concave": stacked(lambda k: fn.random_concave_modular(k, n, 2, 1.0), k3),
    }


def usm_instances(n, seed):
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(100 + seed), 3)
    return {
        "er_cut": stacked(lambda k: fn.erdos_renyi_cut(k, n, 0.4, weighted=True), k1),
        "sbm_cut": stacked(lambda k: fn.sbm_cut(k, (n // 2, n - n // 2), 0.2, 0.7), k2),
        "fl_minus_cost": stacked(lambda k: fn.random_fl_minus_cost(k, n, 5, cost_scale=1.0), k3),
    }


def exhaustive(values, n, feasible):
    """Independent reference: itertools over every subset, a Python feasibility predicate, argmax."""
    subsets = np.array(list(itertools.product([False, True], repeat=n)))
    v = values(subsets)
    ok = np.array([feasible(S) for S in subsets])
    i = int(np.argmax(np.where(ok, v, -np.inf)))
    return float(v[i]), subsets[i]


def random_partition(rng, n):
    blocks = rng.permutation(np.arange(n) % 3)
    caps = np.array([int(rng.integers(1, np.sum(blocks == b) + 1)) for b in range(3)])
    return Matroid.partition(blocks, caps)


@pytest.mark.parametrize("seed", [0, 1])
def test_brute_force_equals_exhaustive(seed):
    rng = np.random.default_rng(seed)
    n = 10
    fams = {**monotone_instances(n, seed), **usm_instances(n, seed)}
    for name in [("coverage", "concave", "sbm_cut"), ("facility", "er_cut", "fl_minus_cost")][seed]:
        stack = fams[name]
        values = summed_values(stack)
        k = int(rng.integers(1, n))
        for matroid, feasible in [
            (None, lambda S: True),
            (Matroid.uniform(n, k), lambda S: S.sum() == k),
            (m := random_partition(rng, n),
             lambda S, m=m: all(S[m.blocks == b].sum() == c for b, c in enumerate(m.caps))),
        ]:
            best = brute_force(values, n, matroid, chunk=128)  # several batches, a partial last one
            ref, _ = exhaustive(values, n, feasible)
            assert np.isclose(best.value, ref, rtol=1e-6), (name, matroid)
            assert feasible(best.mask) and np.isclose(values(best.mask[None])[0], best.value)


def test_brute_force_finds_a_planted_optimum_and_refuses_large_n():
    n = 12
    target = np.zeros(n, bool)
    target[[1, 4, 7]] = True
    values = lambda masks: -np.abs(masks.astype(int) - target).sum(1).astype(float)  # noqa: E731
    assert np.array_equal(brute_force(values, n).mask, target)
    assert np.array_equal(brute_force(values, n, Matroid.uniform(n, 3)).mask, target)
    with pytest.raises(ValueError, match="n <= 20"):
        brute_force(values, 21)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_and_local_search_guarantees(seed):
    rng = np.random.default_rng(10 + seed)
    n = 12
    for name, stack in monotone_instances(n, 10 + seed).items():
        values = summed_values(stack)
        for k in [2, 4]:
            m = Matroid.uniform(n, k)
            opt = brute_force(values, n, m).value
            g = greedy(values, n, m)
            assert m.is_base(g.mask)[0] and g.value >= (1 - 1 / np.e) * opt - 1e-6, (name, k)
            assert g.value <= opt + 1e-6
        p = random_partition(rng, n)
        opt = brute_force(values, n, p).value
        g = greedy(values, n, p)
        assert p.is_base(g.mask)[0] and g.value >= 0.5 * opt - 1e-6, name
        ls = matroid_local_search(values, n, p, start=g.mask)
        assert p.is_base(ls.mask)[0] and g.value - 1e-6 <= ls.value <= opt + 1e-6
        assert ls.value >= 0.5 * opt - 1e-6  # 1-swap local optima are 1/2-approximate


@pytest.mark.parametrize("seed", [0, 1])
def test_double_greedy_and_usm_local_search_guarantees(seed):
    n = 12
    rng = np.random.default_rng(seed)
    for name, stack in usm_instances(n, 20 + seed).items():
        values = summed_values(stack)
        opt = brute_force(values, n).value
        det = double_greedy(values, n)
        assert det.value >= opt / 3 - 1e-6, name
        runs = [double_greedy(values, n, rng.uniform(size=n)).value for _ in range(40)]
        assert np.mean(runs) >= opt / 2 - 0.1 * opt, (name, np.mean(runs), opt)  # 1/2 in expectation
        ls = usm_local_search(values, n, eps=0.1)
        assert ls.value >= (1 / 3 - 0.1 / n) * opt - 1e-6, name
        for b in [det, ls]:
            assert np.isclose(values(b.mask[None])[0], b.value)


def test_best_found_exact_small_and_heuristic_large():
    n = 14
    stack = usm_instances(n, 5)["er_cut"]
    values = summed_values(stack)
    b = best_found(values, n)
    assert b.method == "brute_force" and np.isclose(b.value, brute_force(values, n).value)
    n = 21  # beyond brute force: heuristics, named
    stack = monotone_instances(n, 6)["coverage"]
    values = summed_values(stack)
    m = Matroid.uniform(n, 5)
    b = best_found(values, n, m)
    assert b.method in ("greedy", "local_search") and m.is_base(b.mask)[0]
    assert b.value >= greedy(values, n, m).value - 1e-9
    u = best_found(values, n)
    assert u.method in ("double_greedy", "random_double_greedy", "local_search")
