"""M-LCB's selection rule in situ (brute force over M-subsets), the first ceil(K/M) rounds, common random numbers."""
import itertools

import jax
import numpy as np
import pytest

from bandits.experts import experts_env, known_of, mflcb, mlcb, oracle_experts
from bandits.experts.loop import run
from experts_cases import T, families, policies
from bandits.experts.mlcb import mlcb_bounds



def test_same_z_stream_for_every_policy():
    fam, oracle = families()["glm"]
    env = experts_env(fam)
    bench = []
    for name in ("mflcb", "limited_advice"):
        policy = policies(2)[name][0]
        final = jax.jit(lambda key: run(policy, env, known_of(fam), oracle, key, T)[1])(jax.random.key(3))
        bench.append(float(final.loss.value - final.realized_regret.value))  # sum of the benchmark's losses
    assert np.allclose(bench, bench[0], atol=1e-3)


@pytest.mark.parametrize("K,M", [(6, 1), (7, 3)])
def test_every_expert_trained_within_ceil_K_over_M_rounds(K, M):
    fam = oracle_experts(np.linspace(0.0, 0.5, K), 0.3, 0.5)
    env = experts_env(fam)
    rounds = -(-K // M)
    for policy in (mlcb(M), mlcb(M, c=0.1, bounds="self_normalized", ties="random")):
        keys = jax.random.split(jax.random.key(K), 20)
        final = jax.jit(jax.vmap(lambda key: run(policy, env, known_of(fam), None, key, rounds)[1]))(keys)
        counts = np.asarray(final.counts)
        assert np.all(counts >= 1), (K, M, counts)
        assert np.all(counts.sum(axis=1) == M * rounds)


@pytest.mark.parametrize("pol", ["mflcb", "mlcb_all", "mlcb_sn"])
def test_mlcb_selection_matches_brute_force_on_its_own_bounds(pol):
    fam, oracle = families()["glm"]
    K, M = 4, 2
    policy = {"mflcb": mflcb(M), "mlcb_all": mlcb(M, c=0.3, advisor_from="all"),
              "mlcb_sn": mlcb(M, bounds="self_normalized")}[pol]
    kw = {"mflcb": (0.05, 0.1, 1.0, "hoeffding"), "mlcb_all": (0.05, 0.3, 1.0, "hoeffding"),
          "mlcb_sn": (0.05, 1.0, 1.0, "self_normalized")}[pol]
    known = known_of(fam)
    tr = lambda p, e, a, o, z: (a, mlcb_bounds(p, known, *kw))
    _, _, (action, (lcb, ucb)) = jax.jit(lambda key: run(policy, experts_env(fam), known, oracle, key, 300, trace=tr))(
        jax.random.key(1))
    mask, adv, lcb, ucb = map(np.asarray, (action.train, action.advisor, lcb, ucb))
    subsets = list(itertools.combinations(range(K), M))
    for t in range(300):
        sums = [np.sum(lcb[t, list(S)], dtype=np.float64) for S in subsets]
        chosen = tuple(np.flatnonzero(mask[t]))
        assert np.isclose(sums[subsets.index(chosen)], min(sums), rtol=0, atol=1e-6), t
        pool = range(K) if pol == "mlcb_all" else chosen
        assert adv[t] == min(pool, key=lambda i: (ucb[t, i], i)), t
