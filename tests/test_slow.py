"""Long statistical checks (``make test-slow``)."""
import numpy as np
import pytest

from bandits.allocation import build, make_problem
from bandits.core import RunConfig, run_fixed_horizon

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name,hp", [("ata", {"alpha_factor": 1.0}), ("ata_empirical", {"eta": 1.0})])
def test_proxy_regret_over_log_k_stays_bounded(name, hp):
    """Theorems 6.1 / 6.3 on the Figure 3 instance: R_K / ln K stops growing as K grows."""
    p = make_problem(20, 5, law="exponential", base=2.0, power=1.0)
    if "alpha_factor" in hp:
        hp = {"alpha": hp["alpha_factor"] * float(p.params.means.max())}
    grid = np.array([10**4, 10**5, 10**6, 4 * 10**6])
    res = run_fixed_horizon(build(name, p, **hp), range(5), RunConfig(horizon=int(grid[-1]), progress=False), grid)
    regret = res.metrics["proxy_regret"].mean(axis=0)
    r = regret / np.log(grid)
    # sub-linear regret: the per-round regret falls in every window
    per_round = np.diff(np.r_[0.0, regret]) / np.diff(np.r_[0, grid])
    assert np.all(np.diff(per_round) < 0), per_round
    if name == "ata_empirical":
        # past its exploration phase, R_K / ln K levels off: the last two ratios differ by < 25%
        assert r[-1] < 1.25 * r[-2], r
    else:
        # ATA with alpha = 40 is still leaving exploration at 4e6 rounds (worker 1 needs ~1e6 tasks
        # before its LCB turns positive), so R_K / ln K still grows, but ever more slowly
        growth = r[1:] / r[:-1]
        assert np.all(np.diff(growth) < 0), r


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
    # ATA converges to OFTA's round time (it may end slightly *below* it: OFTA minimises the proxy
    # loss max_i a_i mu_i, not E[C(a)]; the paper's Table 1 shows the same, RT 1.73 vs 1.74)
    assert abs(gap[-1]) < 0.05 and abs(gap[-1]) < abs(gap[0]), gap
