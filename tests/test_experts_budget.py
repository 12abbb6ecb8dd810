"""Budget invariants of every meta-algorithm, round by round (spec section 8)."""
import jax
import numpy as np
import pytest

from bandits.experts import (ed2rb, experts_env, full_training, glm_experts, known_of, limited_advice, mflcb, mlcb,
                             oracle_experts, paper_oracle, round_robin)
from bandits.experts.loop import run

T = 120


def policies(M):
    return {
        "mflcb": (mflcb(M), M, True),
        "mlcb_sn_random": (mlcb(M, bounds="self_normalized", ties="random"), M, True),
        "limited_advice": (limited_advice(M), M, True),
        "ed2rb": (ed2rb(c=0.1), 1, True),
        "round_robin": (round_robin(M), M, False),
        "full_training": (full_training(), None, True),
    }


def families():
    return {
        "glm": (glm_experts(), paper_oracle()),
        "oracle": (oracle_experts([0.1, 0.3, 0.35, 0.2, 0.5], [0.3, 0.2, 0.1, 0.4, 0.0], 0.5), None),
    }


def trace(pstate, estate, action, obs, z):
    return action, estate.experts, estate.counts, obs


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


