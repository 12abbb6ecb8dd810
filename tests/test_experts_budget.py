"""Budget invariants of every meta-algorithm, round by round (spec section 8)."""
import jax
import numpy as np
import pytest

from bandits.experts import experts_env, known_of
from bandits.experts.loop import run
from experts_cases import T, families, policies, trace



CASES = [(p, "oracle") for p in policies(2)] + [(p, "glm") for p in ("mflcb", "limited_advice", "ed2rb")]


@pytest.mark.parametrize("pol_name,fam_name", CASES)
def test_budget_invariants(pol_name, fam_name):
    fam, oracle = families()[fam_name]
    K = fam.bound.scale.shape[0]
    M = 2
    policy, size, advisor_in_set = policies(M)[pol_name]
    size = K if size is None else size
    env = experts_env(fam)
    f = jax.jit(lambda key: run(policy, env, known_of(fam), oracle, key, T, trace=trace))
    _, final, (action, before, counts, obs) = f(jax.random.key(7))
    mask, adv = np.asarray(action.train), np.asarray(action.advisor)
    assert mask.shape == (T, K)
    assert np.all(mask.sum(axis=1) == size)  # |S_t| = M (ED2RB: 1, full training: K)
    assert np.all((adv >= 0) & (adv < K))
    if advisor_in_set:
        assert np.all(mask[np.arange(T), adv])  # I_t in S_t
    assert int(final.counts.sum()) == size * T  # sum_i N_i(T) = M T
    assert np.array_equal(np.asarray(final.counts), mask.sum(axis=0))
    assert np.array_equal(np.asarray(counts[1:]), np.cumsum(mask, axis=0)[:-1])
    # experts outside S_t are bit-identical; those in S_t did train (their session count moved)
    for leaf_before, leaf_final in zip(jax.tree_util.tree_leaves(before), jax.tree_util.tree_leaves(final.experts)):
        after = np.concatenate([np.asarray(leaf_before)[1:], np.asarray(leaf_final)[None]], axis=0)
        prev = np.asarray(leaf_before)
        same = np.all((after == prev).reshape(T, K, -1), axis=2)
        assert np.all(same[~mask]), (pol_name, fam_name)
    sessions = np.asarray(before.sessions)
    assert np.array_equal(sessions, np.asarray(counts))
    # observations only on S_t
    assert np.all(np.asarray(obs.raw_loss)[~mask] == 0) and np.all(np.asarray(obs.advice_loss)[~mask] == 0)


