"""Long statistical checks (``make test-slow``)."""
import numpy as np
import pytest

from bandits.allocation import build, make_problem
from bandits.core import RunConfig, log_grid, run_fixed_horizon

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name,hp", [("ata", {"alpha_factor": 1.0}), ("ata_empirical", {"eta": 1.0})])
def test_proxy_regret_over_log_k_stays_bounded(name, hp):
    """Theorems 6.1 / 6.3 on the Figure 3 instance: R_K / ln K stops growing as K grows."""
    p = make_problem(20, 5, law="exponential", base=2.0, power=1.0)
    if "alpha_factor" in hp:
        hp = {"alpha": hp["alpha_factor"] * float(p.params.means.max())}
    grid = np.array([10**4, 10**5, 10**6, 4 * 10**6])
    res = run_fixed_horizon(build(name, p, **hp), range(5), RunConfig(horizon=int(grid[-1]), progress=False), grid)
    r = res.metrics["proxy_regret"].mean(axis=0) / np.log(grid)
    # after the exploration phase, R_K/ln K levels off: the last two ratios differ by < 25%
    assert r[-1] < 1.25 * r[-2], r
    # and the increments of R_K shrink relative to those of K (sub-linear regret)
    per_round = np.diff(res.metrics["proxy_regret"].mean(axis=0)) / np.diff(grid)
    assert per_round[-1] < per_round[0], per_round


def test_ata_table1_n17_round_time_converges():
    p = make_problem(17, 23, base=29.0, power=0.5)
    grid = np.array([250_000, 500_000, 1_000_000, 2_000_000])
    cfg = RunConfig(horizon=int(grid[-1]), progress=False)
    def windows(name, **hp):
        rt = run_fixed_horizon(build(name, p, **hp), range(4), cfg, grid).metrics["runtime"].mean(axis=0)
        return np.diff(np.r_[0.0, rt]) / np.diff(np.r_[0, grid])
    ofta = windows("ofta")
    ata = windows("ata", alpha=2 * float(p.params.means.max()))
    gap = ata / ofta - 1
    assert np.all(np.diff(gap) < 0) and gap[-1] < 0.15, gap
