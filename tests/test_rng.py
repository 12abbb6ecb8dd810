"""The bulk generators: distributions, independence, and the generator switch."""
import jax
import numpy as np
import pytest
from scipy import stats

from bandits.core import RunConfig, log_grid, rng, run_fixed_horizon


@pytest.mark.parametrize("gen", rng.GENERATORS)
def test_distributions(gen):
    with rng.generator(gen):
        key = jax.random.key(3)
        u = np.asarray(rng.uniform(key, (2000, 50))).ravel()
        e = np.asarray(rng.exponential(jax.random.fold_in(key, 1), (2000, 50))).ravel()
        z = np.asarray(rng.normal(jax.random.fold_in(key, 2), (100_000,)))
    assert 0 < u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert stats.kstest(e, "expon").pvalue > 1e-3
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_hash32_rows_and_columns_are_uncorrelated():
    with rng.generator("hash32"):
        u = np.asarray(rng.uniform(jax.random.key(0), (4000, 64)))
    c = np.corrcoef(u.T)  # columns (counter index) across rows
    assert np.abs(c[np.triu_indices(64, 1)]).max() < 0.08
    r = np.corrcoef(u[:500])  # rows (different row words)
    assert np.abs(r[np.triu_indices(500, 1)]).max() < 0.6  # 64 samples per row: loose but catches copies
    assert np.abs(np.corrcoef(u[:-1].ravel(), u[1:].ravel())[0, 1]) < 0.01


def test_unknown_generator_is_rejected():
    with pytest.raises(ValueError, match="valid choices: hash32, threefry"):
        rng.set_generator("mt19937")
    with pytest.raises(ValueError, match="valid choices"):
        RunConfig(horizon=10, rng="xorshift")


def test_generators_agree_in_distribution_on_a_toy_bandit():
    """The generator switch changes draws, not laws: a toy bandit's mean reward agrees under both."""
    from toys import bandit_sim

    means = {}
    for gen in rng.GENERATORS:
        m = run_fixed_horizon(bandit_sim(), range(8), RunConfig(horizon=5_000, rng=gen, progress=False),
                              log_grid(5_000, 2)).metrics["reward"][:, -1]
        means[gen] = m.mean()
    assert abs(means["hash32"] / means["threefry"] - 1) < 0.02, means


def test_random_subset_is_uniform_over_subsets_and_distinct():
    """Floyd's sampling: every count-subset of [0, pool) equally likely, with traced pool and count."""
    import itertools

    import jax.numpy as jnp

    draw = jax.jit(jax.vmap(rng.random_subset, in_axes=(0, None, None)))
    u = rng.uniform(jax.random.key(3), (30000, 4))
    for pool, count in [(5, 2), (6, 3), (4, 4)]:
        picks = np.asarray(draw(u, jnp.int32(pool), jnp.int32(count)))
        assert (picks[:, count:] == -1).all()
        chosen = np.sort(picks[:, :count], axis=1)
        assert (np.diff(chosen, axis=1) > 0).all() and chosen.min() >= 0 and chosen.max() < pool
        subsets = {s: i for i, s in enumerate(itertools.combinations(range(pool), count))}
        freq = np.bincount([subsets[tuple(r)] for r in chosen], minlength=len(subsets))
        if len(subsets) > 1:
            assert stats.chisquare(freq).pvalue > 1e-3, (pool, count, freq)


@pytest.mark.parametrize("gen", rng.GENERATORS)
@pytest.mark.parametrize("kind", rng.ROW_KINDS)
def test_rows_expand_to_the_bulk_draws(gen, kind):
    """``rows`` + ``row``: the compact per-round form of a chunk's draws gives exactly the bulk draws."""
    import jax.numpy as jnp

    bulk = {"uniform": rng.uniform, "exponential": rng.exponential, "normal": rng.normal}[kind]
    with rng.generator(gen):
        key = jax.random.key(11)
        r = rng.rows(kind, key, 300, 23)
        got = jax.jit(jax.vmap(lambda x: rng.row(kind, x, 23)))(r)
        want = bulk(key, (300, 23))
    assert r.shape == ((300,) if gen == "hash32" else (300, 23))
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert np.asarray(got).dtype == jnp.zeros(()).dtype
