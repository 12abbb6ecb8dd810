"""The core runner: seed independence, batching, determinism, checkpoints, stopping times, sharding."""
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bandits.core import RunConfig, Simulation, log_grid, run_fixed_horizon, run_until_stopped
from toys import bandit_sim, random_walk_until


@pytest.fixture(scope="module")
def ata_sim():  # the name stays: any learning simulation with its own and its environment's noise
    return bandit_sim()


def run(sim, seeds, horizon=600, chunk=128, batch_size=1000, grid_points=12):
    cfg = RunConfig(horizon=horizon, chunk=chunk, batch_size=batch_size, progress=False)
    return run_fixed_horizon(sim, seeds, cfg, log_grid(horizon, grid_points))


def test_seed_result_does_not_depend_on_neighbours_or_batch_size(ata_sim):
    full = run(ata_sim, range(6))
    alone = run(ata_sim, [4])
    batched = run(ata_sim, range(6), batch_size=4)  # batches 4 + 2 (padded)
    for k in full.metrics:
        np.testing.assert_array_equal(full.metrics[k][4], alone.metrics[k][0])
        np.testing.assert_array_equal(full.metrics[k], batched.metrics[k])


def test_same_seed_same_results_and_different_seeds_differ(ata_sim):
    a, b = run(ata_sim, [0, 1]), run(ata_sim, [0, 1])
    for k in a.metrics:
        np.testing.assert_array_equal(a.metrics[k], b.metrics[k])
    assert not np.array_equal(a.metrics["reward"][0], a.metrics["reward"][1])


def test_chunking_is_exact_for_ragged_horizons():
    """A horizon that is not a multiple of the chunk: the extra rounds must not be counted."""
    counter = Simulation(
        init=lambda key: (jnp.int32(0), jnp.float32(0)),
        sample=lambda key, rounds: jax.random.uniform(key, (rounds,)),
        step=lambda c, u, t: (c[0] + 1, c[1] + u),
        metrics=lambda c: {"rounds": c[0].astype(jnp.float32), "sum": c[1]},
    )
    for horizon, chunk in [(100, 7), (100, 100), (5, 64)]:
        grid = log_grid(horizon, 10)
        res = run_fixed_horizon(counter, [0, 3], RunConfig(horizon=horizon, chunk=chunk, progress=False), grid)
        np.testing.assert_array_equal(res.metrics["rounds"][0], grid.astype(np.float32))


def test_log_grid():
    g = log_grid(3_000_000, 100)
    assert g[0] == 1 and g[-1] == 3_000_000 and np.all(np.diff(g) > 0) and 60 < len(g) <= 100
    assert list(log_grid(1, 10)) == [1]
    with pytest.raises(ValueError):
        log_grid(0)


def test_zero_seeds_rejected(ata_sim):
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        run(ata_sim, [])


def test_nan_metric_fails_loudly():
    bad = Simulation(
        init=lambda key: jnp.float32(1.0),
        sample=lambda key, rounds: jnp.zeros((rounds,)),
        step=lambda c, z, t: c - 1.0,
        metrics=lambda c: {"log": jnp.log(c)},  # log(0) = -inf, log(<0) = nan
    )
    with pytest.raises(FloatingPointError, match="not finite"):
        run_fixed_horizon(bad, [0], RunConfig(horizon=10, progress=False), log_grid(10, 5))


def test_stopping_time_mode():
    sim = random_walk_until(10)
    res = run_until_stopped(sim, range(200), RunConfig(horizon=100_000, chunk=64, progress=False))
    assert res.stopped.all()
    assert np.all(np.abs(res.metrics["position"]) == 10)
    # E[tau] = threshold^2 for a simple random walk
    assert 70 < res.stopping_time.mean() < 130
    # seed independence in stopping mode too
    alone = run_until_stopped(sim, [17], RunConfig(horizon=100_000, chunk=64, progress=False))
    assert alone.stopping_time[0] == res.stopping_time[17]
    # the cap: nobody can reach 10**6 in 50 rounds
    capped = run_until_stopped(random_walk_until(10**6), range(3), RunConfig(horizon=50, chunk=16, progress=False))
    assert not capped.stopped.any() and (capped.stopping_time == 50).all()


def test_stopping_loop_exits_early():
    """Chunks stop as soon as every seed has stopped: cap 1e9 rounds must return at once."""
    import time

    sim = random_walk_until(3)
    t0 = time.perf_counter()
    res = run_until_stopped(sim, range(8), RunConfig(horizon=10**9, chunk=32, progress=False))
    assert res.stopped.all() and time.perf_counter() - t0 < 60


SHARD_SCRIPT = textwrap.dedent("""
    import json, sys, jax, numpy as np
    sys.path.insert(0, sys.argv[1])
    from toys import bandit_sim, random_walk_until
    from bandits.core import RunConfig, log_grid, run_fixed_horizon, run_until_stopped
    assert jax.device_count() == 4, jax.devices()
    res = run_fixed_horizon(bandit_sim(), range(6), RunConfig(horizon=300, chunk=64, batch_size=3, progress=False),
                            log_grid(300, 8))
    stop = run_until_stopped(random_walk_until(6), range(10), RunConfig(horizon=10**5, chunk=16, batch_size=4,
                                                                         progress=False))
    print(json.dumps([res.metrics["reward"].tolist(), stop.stopping_time.tolist()]))
""")


def test_sharded_over_four_host_devices_matches_single_device():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", SHARD_SCRIPT, os.path.dirname(__file__)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    sharded, taus = json.loads(out.stdout.strip().splitlines()[-1])
    single = run(bandit_sim(), range(6), horizon=300, chunk=64, grid_points=8).metrics["reward"]
    np.testing.assert_array_equal(np.array(sharded, np.float32), single)
    alone = run_until_stopped(random_walk_until(6), range(10), RunConfig(horizon=10**5, chunk=16, progress=False))
    np.testing.assert_array_equal(taus, alone.stopping_time)


def test_progress_reporting_does_not_change_results(ata_sim, capsys):
    quiet = run(ata_sim, [0, 1], horizon=128 * 100, chunk=128)
    cfg = RunConfig(horizon=128 * 100, chunk=128, progress=True)
    loud = run_fixed_horizon(ata_sim, [0, 1], cfg, log_grid(128 * 100, 12), label="ata")
    for k in quiet.metrics:
        np.testing.assert_array_equal(quiet.metrics[k], loud.metrics[k])
    assert "ata: 100% of rounds" in capsys.readouterr().err


def test_branch_on_batch_takes_one_branch_per_batch_and_keeps_seeds_independent():
    """Each seed gets x+1 while x < its own limit, else x+2; the branch taken is recorded apart."""
    from bandits.core import SEED_AXIS, branch_on_batch

    def step(x, limit):
        pred = x < limit
        return branch_on_batch(pred, lambda: (x + 1, 0), lambda: (x + 2, 1),
                               lambda: (jnp.where(pred, x + 1, x + 2), 2))

    batched = jax.jit(jax.vmap(step, axis_name=SEED_AXIS))
    x, tag = batched(jnp.array([0, 0, 0]), jnp.array([5, 5, 5]))
    assert x.tolist() == [1, 1, 1] and tag.tolist() == [0, 0, 0]  # all below: the cheap branch
    x, tag = batched(jnp.array([9, 9]), jnp.array([5, 5]))
    assert x.tolist() == [11, 11] and tag.tolist() == [1, 1]
    x, tag = batched(jnp.array([0, 9, 3]), jnp.array([5, 5, 5]))
    assert x.tolist() == [1, 11, 4] and tag.tolist() == [2, 2, 2]  # mixed batch: per-seed values
    # unbatched (a batch of one) and under a plain vmap without the axis name: same values
    assert [int(step(jnp.int32(v), 5)[0]) for v in (0, 9, 3)] == [1, 11, 4]
    assert jax.vmap(step)(jnp.array([0, 9, 3]), jnp.array([5, 5, 5]))[0].tolist() == [1, 11, 4]


def test_refilling_finished_slots_keeps_every_seed_result_and_saves_work():
    """Stopped seeds hand their slot to waiting seeds: same per-seed results, far fewer slot-rounds."""
    sim = random_walk_until(8)
    seeds = range(80)
    base = RunConfig(horizon=100_000, chunk=16, batch_size=32, progress=False)
    from dataclasses import replace

    plain = run_until_stopped(sim, seeds, replace(base, refill=False))
    refilled = run_until_stopped(sim, seeds, base)
    wide = run_until_stopped(sim, seeds, replace(base, batch_size=64))
    narrow = run_until_stopped(sim, seeds, replace(base, batch_size=3))  # padded to 16 seeds
    for other in (refilled, wide, narrow):
        np.testing.assert_array_equal(other.stopping_time, plain.stopping_time)
        np.testing.assert_array_equal(other.metrics["position"], plain.metrics["position"])
        np.testing.assert_array_equal(other.stopped, plain.stopped)
    again = run_until_stopped(sim, seeds, base)
    np.testing.assert_array_equal(again.stopping_time, refilled.stopping_time)
    # cost: the refilled run computes about sum(tau) (+ a chunk per seed), never batch x slowest per batch
    total = plain.stopping_time.sum()
    assert refilled.slot_rounds < plain.slot_rounds
    assert refilled.slot_rounds <= total + 80 * 16 + 32 * 16 * np.log2(32) + plain.stopping_time.max()


def test_narrowing_the_batch_for_the_tail_keeps_every_seed_result(monkeypatch):
    """Force the tail shrink (normally only for costly chunks): same results, fewer slot-rounds."""
    from dataclasses import replace

    from bandits.core import runner

    sim = random_walk_until(12)
    cfg = RunConfig(horizon=100_000, chunk=16, batch_size=256, progress=False)  # shrinks to 32 (16-seed floor)
    wide = run_until_stopped(sim, range(400), cfg)
    monkeypatch.setattr(runner, "SHRINK_PAYBACK", 0.0)
    narrowed = run_until_stopped(sim, range(400), cfg)
    np.testing.assert_array_equal(narrowed.stopping_time, wide.stopping_time)
    np.testing.assert_array_equal(narrowed.metrics["position"], wide.metrics["position"])
    assert narrowed.slot_rounds < wide.slot_rounds
    reference = run_until_stopped(sim, range(400), replace(cfg, refill=False))
    np.testing.assert_array_equal(reference.stopping_time, wide.stopping_time)


# ---- issue 32 (round two) begin: invalid actions are checked every round and fail the run ------------------------
def _arm_check():
    from bandits.core.types import ActionCheck

    return ActionCheck(names=("the arm within 0..K-1",),
                       holds=lambda arm, params: jnp.stack([(arm >= 0) & (arm < params.means.shape[0])]))


def _bad_from(round_of_seed):
    """epsilon-greedy until the (0-based) round ``round_of_seed(seed index in the view)``, then arm K (invalid)."""
    from toys import epsilon_greedy

    base = epsilon_greedy()

    def select(state, noise, t, view):
        arm = base.select(state[0], noise, t, view)
        return jnp.where(t >= state[1], view.K, arm).astype(jnp.int32)

    return base._replace(init=lambda view: (base.init(view), jnp.int32(round_of_seed)),
                         select=select, update=lambda s, a, r, view: (base.update(s[0], jnp.minimum(a, view.K - 1),
                                                                                   r, view), s[1]))


def _checked(policy, stopped=None):
    from bandits.core import interact
    from toys import BanditParams, BanditView, gaussian_bandit

    env = gaussian_bandit()._replace(validate=_arm_check())
    policy = policy if stopped is None else policy._replace(stopped=stopped)
    return interact(policy, env, BanditView(K=3), BanditParams(jnp.asarray([0.0, 0.5, 1.0])))


def test_a_valid_policy_runs_the_same_with_its_actions_checked(ata_sim):
    """The check keeps each seed's first invalid round beside the scan's state: the numbers do not change."""
    from toys import epsilon_greedy

    checked = _checked(epsilon_greedy())
    assert checked.conditions == ("the arm within 0..K-1",) and ata_sim.invalid is None
    a, b = run(ata_sim, range(5), horizon=300, chunk=64), run(checked, range(5), horizon=300, chunk=64)
    for k in a.metrics:
        np.testing.assert_array_equal(a.metrics[k], b.metrics[k])


@pytest.mark.parametrize("horizon,chunk,batch", [(300, 64, 1000), (300, 7, 16), (90, 128, 1000)])
def test_the_first_invalid_round_is_named_whatever_the_chunk_and_batch(horizon, chunk, batch):
    from bandits.core.runner import InvalidActionError

    sim = _checked(_bad_from(77))  # every seed turns invalid at round 78 (1-based)
    if horizon < 78:
        run(sim, range(20), horizon=horizon, chunk=chunk, batch_size=batch)  # never reached: runs
        return
    with pytest.raises(InvalidActionError, match=r"invalid action at round 78 \(seed 0\): it violates 'the arm "
                                                 r"within 0..K-1'; nothing is stored"):
        run(sim, range(20), horizon=horizon, chunk=chunk, batch_size=batch)


def test_an_invalid_action_stops_a_stopping_time_run_at_the_chunk_it_happens_in():
    from bandits.core.runner import InvalidActionError

    sim = _checked(_bad_from(40), stopped=lambda s, t, view: t >= 10_000)
    with pytest.raises(InvalidActionError, match=r"round 41 \(seed 0\)"):
        run_until_stopped(sim, range(40), RunConfig(horizon=100_000, chunk=16, batch_size=16, progress=False))
    ok = _checked(_bad_from(10**6), stopped=lambda s, t, view: t >= 50)
    res = run_until_stopped(ok, range(40), RunConfig(horizon=1_000, chunk=16, batch_size=16, progress=False))
    assert (res.stopping_time == 50).all()
# ---- issue 32 (round two) end ----------------------------------------------------------------------------------------
