"""The shipped karate-club graph and the two families built on it (influence, cut)."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.core.experiment import ConfigError
from bandits.submodular.instances import FAMILIES, karate_club


def test_karate_club_data_is_zacharys_graph():
    n, edges, w = karate_club()
    assert n == 34 and edges.shape == (78, 2) and len({tuple(e) for e in edges}) == 78
    assert np.all(edges[:, 0] < edges[:, 1]) and edges.min() == 0 and edges.max() == 33
    deg = np.bincount(edges.ravel(), minlength=n)
    assert deg[33] == 17 and deg[0] == 16 and deg.sum() == 156  # the two leaders, Zachary's Table
    assert w.min() >= 1 and w.max() <= 7 and w.sum() == 231


def test_karate_influence_is_monotone_submodular_in_unit_interval():
    fam = FAMILIES.get("karate_influence")
    base = fam.make(jax.random.PRNGKey(0), 34, 1.0)
    f = fam.apply(base, jnp.ones(fam.components(base)))
    rng = np.random.default_rng(0)
    for _ in range(30):  # f(A + i) - f(A) >= f(B + i) - f(B) >= 0 for A ⊆ B, i ∉ B
        B = rng.uniform(size=34) < 0.3
        A = B & (rng.uniform(size=34) < 0.5)
        i = int(rng.choice(np.flatnonzero(~B)))
        gain = lambda S: float(f.value(jnp.asarray(S | (np.arange(34) == i)))) - float(f.value(jnp.asarray(S)))
        assert gain(A) >= gain(B) - 1e-6 and gain(B) >= -1e-6
    assert float(f.value(jnp.ones(34, bool))) == pytest.approx(1.0, abs=1e-6)
    # the two leaders reach the most: {0, 33} is the best pair
    vals = {S: float(f.value(jnp.asarray(np.isin(np.arange(34), S)))) for S in itertools.combinations(range(34), 2)}
    assert max(vals, key=vals.get) == (0, 33)


def test_karate_cut_matches_edge_sum():
    fam = FAMILIES.get("karate_cut")
    base = fam.make(jax.random.PRNGKey(0), 34, 1.0)
    f = fam.apply(base, jnp.ones(34))
    n, edges, w = karate_club()
    rng = np.random.default_rng(1)
    for _ in range(20):
        S = rng.uniform(size=n) < 0.5
        cut = sum(wt for (u, v), wt in zip(edges, w) if S[u] != S[v])
        assert float(f.value(jnp.asarray(S))) == pytest.approx(cut / w.sum(), rel=1e-5)


@pytest.mark.parametrize("family", ["karate_influence", "karate_cut"])
def test_karate_families_need_n_34(family):
    with pytest.raises(ConfigError, match="n = 34"):
        FAMILIES.get(family).make(jax.random.PRNGKey(0), 20, 1.0)
