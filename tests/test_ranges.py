"""The ranges of config keys (``bandits.core.ranges``): declared ones, the defaults of undeclared ones, and a
check that every numeric key of the four papers' schemas and the runner's declares its own."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import pytest

from bandits.core.experiment import ExperimentSchema, RunnerSchema, discover_papers
from bandits.core.ranges import FLOAT_LIMIT, INT32_MAX, ConfigError, check_ranges, declared_ranges, ranged


@dataclass
class Inner:
    rate: float = ranged(0.5, 0.0, 1.0, low_open=True)


@dataclass
class Toy:
    size: int = ranged(4, 1, 100, label="a size", why="it is an axis")
    sweep: Any = ranged(3, 1, 10, kind="int")  # an integer or a list
    means: List[List[float]] = field(default_factory=lambda: [[0.0, 1.0]])
    undeclared: int = 0
    real: Optional[float] = None
    table: Dict[str, int] = field(default_factory=dict)
    free: Dict[str, Any] = field(default_factory=dict)
    inner: Inner = field(default_factory=Inner)


@pytest.mark.parametrize("change,message", [
    (dict(size=0), "toy.size (a size) must be an integer >= 1 and <= 100 (it is an axis), got 0"),
    (dict(size=True), "toy.size (a size) must be an integer, got True"),
    (dict(sweep=[2, 11]), "toy.sweep must be an integer >= 1 and <= 10, got 11"),
    (dict(sweep=2.5), "toy.sweep must be an integer, got 2.5"),
    (dict(means=[[0.0], [float("inf")]]), "toy.means must be finite, got inf"),
    (dict(means=[[2e12]]), f"toy.means must be in [{-FLOAT_LIMIT:g}, {FLOAT_LIMIT:g}]"),
    (dict(undeclared=2**31), f"toy.undeclared must be an integer >= {-INT32_MAX - 1} and <= {INT32_MAX}"),
    (dict(real=float("nan")), "toy.real must be finite, got nan"),
    (dict(table={"a": 2**40}), "toy.table.a must be an integer"),
    (dict(free={"x": {"y": 1e300}}), "toy.free.x.y must be in"),
    (dict(inner=Inner(rate=0.0)), "toy.inner.rate must be in (0, 1], got 0.0"),
])
def test_a_value_out_of_its_range_is_one_line_naming_the_key_and_the_range(change, message):
    with pytest.raises(ConfigError) as err:
        check_ranges(Toy(**change), "toy")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_values_in_range_and_names_pass():
    check_ranges(Toy(sweep=[1, 10], free={"law": "gamma", "flag": True, "x": 3}, real=None), "toy")


PRESETS = {"ata": "ata/figure3", "mlcb": "mlcb/figure2", "lats": "lats/setup2_easy", "submodular": "submodular/rate_T"}
# the physical parameters and sizes each paper bounds itself (where its arithmetic is meaningful, what fits memory)
DECLARED = {
    "ata": ["env.base", "env.power", "env.budget", "env.n", "sgd_problem.dim", "sgd_problem.lr",
            "sgd_problem.noise_std"],
    "mlcb": ["budgets", "glm.d", "glm.rho", "glm.theta_norm", "glm.theta_star", "bandit.means", "bandit.explore",
             "oracle.alpha", "oracle.K", "oracle.best_loss", "oracle.gap", "oracle.amplitude", "oracle.horizons"],
    "lats": ["delta", "mu3", "r", "sigma", "every", "mu", "A", "b", "custom_delta"],
    "submodular": ["scale", "n", "k", "caps", "keep", "amplitude", "period", "q", "curvature", "instance_seed",
                   "exact_up_to"],
}


def _spec(paper_name):
    from hydra import compose, initialize_config_dir

    from bandits.core.experiment import load_config
    from experiments.run import CONFIG_DIR

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
        cfg = compose("config", overrides=[f"experiment={PRESETS[paper_name]}"])
    return load_config(discover_papers().get(paper_name).schema, cfg.experiment, "experiment"), cfg


def _set(obj, path, value):
    *parents, last = path.split(".")
    for p in parents:
        obj = getattr(obj, p)
    setattr(obj, last, value)


@pytest.mark.parametrize("paper_name", sorted(PRESETS))
def test_every_numeric_key_of_a_paper_is_refused_beyond_its_range(paper_name):
    """"Every numeric key gets a range and an upper bound": every numeric key of a paper's schema (declared, or
    its type's default: a key added later is covered too) is refused just beyond its upper bound, by name; the
    physical parameters and sizes of ``DECLARED`` bound themselves."""
    import copy

    spec, _ = _spec(paper_name)
    ranges = declared_ranges(type(spec), "experiment")
    missing = [k for k in DECLARED[paper_name] if not ranges.get(f"experiment.{k}", (None, False))[1]]
    assert not missing, f"{paper_name}: no range declared for {missing}"
    for key, (rng, _) in ranges.items():
        integer = (rng.kind or ("int" if isinstance(rng.high, int) else "float")) == "int"
        beyond = int(rng.high) + 1 if integer else rng.high * 10 + 1
        path = key.split(".", 1)[1]
        bad = copy.deepcopy(spec)
        current = bad
        for p in path.split(".")[:-1]:
            current = getattr(current, p)
        value = getattr(current, path.split(".")[-1])
        _set(bad, path, [[beyond]] if value and isinstance(value, list) and isinstance(value[0], list)
             else [beyond] if isinstance(value, list) else beyond)
        with pytest.raises(ConfigError, match=f"^{key} ") as err:
            check_ranges(bad, "experiment")
        assert "\n" not in str(err.value)


def test_the_runner_keys_are_bounded_and_named_as_typed():
    ranges = declared_ranges(RunnerSchema, "runner")
    assert all(declared for _, declared in ranges.values()), ranges
    assert {"runner.max_seeds", "runner.max_horizon", "runner.checkpoints", "runner.base_seed",
            "runner.stopping_chunk"} <= set(ranges)
    assert all(declared_ranges(ExperimentSchema, "experiment")[k][1] for k in ("experiment.seeds",
                                                                              "experiment.horizon",
                                                                              "experiment.checkpoints"))
