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


def test_every_numeric_key_of_the_papers_and_the_runner_declares_a_bounded_range():
    """"Every numeric key gets a range and an upper bound": the four papers' schemas and the runner's declare
    theirs (where the arithmetic is meaningful, what fits memory and int32), beyond the type's default; a
    paper's hyperparameters and keyword dictionaries get the defaults (walked by ``check_ranges``)."""
    papers = discover_papers()
    schemas = [(RunnerSchema, "runner")] + [(papers.get(p).schema, "experiment")
                                            for p in ("ata", "mlcb", "lats", "submodular")]
    exempt = {"experiment.bandit.arm_subsets"}  # base-action indices, checked against the number of actions
    undeclared = []
    for schema, prefix in schemas:
        ranges = declared_ranges(schema, prefix)
        assert {"experiment.seeds", "experiment.horizon"} <= set(ranges) or prefix == "runner"
        for key, (rng, declared) in ranges.items():
            assert rng.high is not None, key
            if not declared and key not in exempt:
                undeclared.append(f"{schema.__name__}: {key}")
    assert not undeclared, undeclared
    # the schema every paper extends bounds its own keys
    assert all(declared_ranges(ExperimentSchema, "experiment")[k][1] for k in ("experiment.seeds",
                                                                              "experiment.horizon",
                                                                              "experiment.checkpoints"))
