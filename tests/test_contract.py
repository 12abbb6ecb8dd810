"""The contract every registered algorithm of every paper keeps (the core's promises, checked per algorithm).

* shapes, and same seed -> same bits beside any neighbours, on repeat and whatever the batch width
  (``test_contract_wide.py``, a file of its own for pytest-xdist);
* the learner never sees the oracle: its view holds no oracle array, and the glue builds it from that view
  alone. Oracle baselines (OFTA, CTnS, ...) declare ``sees_oracle``, get the oracle too, and must use it:
  poisoning the oracle (NaN / -1) changes their actions.
"""
from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import examples.explore_then_commit  # noqa: F401 -- plugins register algorithms too
import examples.gaussian_bai  # noqa: F401
from bandits.core import streams
from bandits.core.experiment import build_simulation, discover_papers

PAPERS = discover_papers()
CASES = [(p, a) for p in PAPERS.names() if PAPERS.get(p).example is not None for a in PAPERS.get(p).algorithms]


def _example(paper_name):
    paper = PAPERS.get(paper_name)
    problem, hps = paper.example()
    return paper, problem, hps


def assert_view_hides_the_oracle(problem, label):
    """The learner's view (``problem.known``) holds no array of the environment's parameters or of the oracle."""
    hidden = [np.asarray(x) for x in jax.tree.leaves((problem.params, problem.oracle)) if np.size(x) > 1]
    for leaf in jax.tree.leaves(problem.known):
        leaf = np.asarray(leaf)
        assert not any(leaf.shape == h.shape and np.array_equal(leaf, h) for h in hidden), \
            f"{label}: the learner's view contains an oracle array"


def _poison(tree):
    def leaf(x):
        x = jnp.asarray(x)
        return jnp.full_like(x, jnp.nan) if jnp.issubdtype(x.dtype, jnp.floating) else jnp.full_like(x, -1)

    return jax.tree.map(leaf, tree)


def _actions(policy, problem, rounds=80):
    """The policy's actions over ``rounds`` rounds against the true environment (seed 0), as one jitted program
    (run eagerly, the setup would compile each of its small operations on its own: seconds per algorithm)."""
    return jax.tree.map(np.asarray, jax.jit(lambda: _scan_actions(policy, problem, rounds))())


def _scan_actions(policy, problem, rounds):
    key = jax.random.key(0)
    pol_noise = None if policy.sample is None else policy.sample(streams.sub(key, streams.POLICY), rounds,
                                                                  problem.known)
    env_noise = problem.env.sample(streams.sub(key, streams.ENVIRONMENT), rounds, problem.params)

    def body(carry, xs):
        pstate, estate = carry
        z, u, t = xs
        a = policy.select(pstate, u, t, problem.known)
        estate, obs = problem.env.step(z, estate, a, problem.params)
        return (policy.update(pstate, a, obs, problem.known), estate), a

    init = (policy.init(problem.known), problem.env.reset(key, problem.params))
    _, acts = lax.scan(body, init, (env_noise, pol_noise, jnp.arange(rounds, dtype=jnp.int32)))
    return acts


POLICIES = [(p, a) for p, a in CASES if PAPERS.get(p).algorithm(a).kind == "policy"]


@pytest.mark.parametrize("paper_name,algorithm", POLICIES, ids=[f"{p}:{a}" for p, a in POLICIES])
def test_learner_never_sees_the_oracle(paper_name, algorithm, monkeypatch):
    paper, problem, hps = _example(paper_name)
    algo = paper.algorithm(algorithm)
    hp = hps.get(algorithm, {})
    # 1. the learner's view holds no array of the environment's parameters or of the oracle
    assert_view_hides_the_oracle(problem, algorithm)
    # 2. the glue (``build_simulation``) hands the builder the learner's view, and the oracle only to an algorithm
    #    that declares ``sees_oracle``: nothing else of the problem (the policy then meets the environment only
    #    through ``interact``'s observations)
    poisoned = problem._replace(oracle=_poison(problem.oracle))
    received = []

    @functools.wraps(algo.build)
    def spy(*args, **kwargs):
        received.append(args)
        return algo.build(*args, **kwargs)

    monkeypatch.setattr(type(paper), "algorithm", lambda self, name: dataclasses.replace(algo, build=spy))
    build_simulation(paper, algorithm, poisoned, hp)
    assert len(received) == 1
    expected = (poisoned.known, poisoned.oracle) if algo.sees_oracle else (poisoned.known,)
    assert len(received[0]) == len(expected) and all(a is b for a, b in zip(received[0], expected)), \
        f"{algorithm}: its builder got {[type(a).__name__ for a in received[0]]}"
    # 3. an algorithm that declares ``sees_oracle`` uses it: poisoning the oracle (NaN / -1) changes its actions.
    #    (For the others the poisoned problem builds the same policy from the same view: nothing to run.)
    if algo.sees_oracle:
        clean = _actions(algo.build(problem.known, problem.oracle, **hp), problem)
        dirty = _actions(algo.build(poisoned.known, poisoned.oracle, **hp), problem)
        assert not all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(clean), jax.tree.leaves(dirty))), \
            f"{algorithm} declares sees_oracle but does not use the oracle"


def test_every_builtin_paper_has_an_example_for_the_contract():
    missing = [p for p in PAPERS.names() if PAPERS.get(p).example is None]
    assert not missing, f"papers without an example problem: {missing}"
