"""Run in a subprocess with JAX_ENABLE_X64=1: JAX policy+env vs the NumPy reference on the same draws."""
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from bandits.allocation import build, make_problem
from bandits.allocation.ata import ata
from bandits.allocation.ata_empirical import ata_empirical
from bandits.allocation.reference import run_ata_numpy
from bandits.allocation.water_filling import dense
from bandits.core import RunConfig, log_grid, run_fixed_horizon
from bandits.core.runner import seed_keys

assert jax.config.jax_enable_x64
name, n, B, K, hp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
problem = make_problem(n, B, base=29.0, power=0.5)
policy = (ata if name == "ata" else ata_empirical)(B, **hp)
env = problem.env
sim = build(name, problem, **hp)

seed_key = seed_keys(0, [5])[0]
rows, words = sim.sample(jax.random.fold_in(seed_key, 0), K)  # chunk 0 of seed 5: (environment, policy) noise
z = jax.vmap(lambda r: problem.static.law.row(r, B))(rows)  # each round's standard draws


def step(carry, xs):
    pstate, estate = carry
    zt, wt, t = xs
    a = policy.select(pstate, wt, t, problem.known)
    estate, obs = env.step(zt, estate, a, problem.params)
    return (policy.update(pstate, a, obs, problem.known), estate), dense(a, n)


(_, estate), allocs = lax.scan(step, (policy.init(problem.known), env.reset(None, problem.params)),
                               (rows, words, jnp.arange(K, dtype=jnp.int32)))
ref_allocs, ref_runtime, ref_wt = run_ata_numpy(np.asarray(z), np.asarray(words), np.asarray(problem.params.scales),
                                                B, **hp)
runner = run_fixed_horizon(sim, [5], RunConfig(horizon=K, chunk=K, progress=False), log_grid(K, 3))
allocs = np.asarray(allocs)
first_bad = int(np.argmax((allocs != ref_allocs).any(1))) if (allocs != ref_allocs).any() else -1
print(json.dumps({
    "mismatched_rounds": int((allocs != ref_allocs).any(1).sum()),
    "first_bad": first_bad,
    "n_distinct": int(len({tuple(a) for a in ref_allocs})),
    "runtime_jax": float(estate.runtime.value), "runtime_ref": float(ref_runtime),
    "runtime_runner": float(runner.metrics["runtime"][0, -1]),
    "worker_time_jax": float(estate.worker_time.value), "worker_time_ref": float(ref_wt),
}))
