"""Registry of task-allocation algorithms: name -> ``Algorithm`` (builder, display name, colour).

A policy builder receives the learner's view (``AllocationView``: n, B, max_i mu_i)
and the algorithm's hyperparameters, and derives what it needs (ATA's alpha from
``alpha_factor``). Adding an algorithm = one file defining a ``Policy`` factory +
one ``ALGORITHMS.add`` (in your own module, loaded as a plugin) + one preset. See
README "Add your algorithm".
"""
from __future__ import annotations

from typing import Optional

from bandits.core.experiment import Algorithm, Problem, build_simulation
from bandits.core.registry import Registry
from bandits.core.types import Simulation

from .ata import ata
from .ata_empirical import ata_empirical
from .environment import AllocationView
from .gta import gta_simulation
from .ofta import ofta
from .uta import uta

ALGORITHMS: Registry[Algorithm] = Registry("algorithm")


def build_ata(known: AllocationView, alpha: Optional[float] = None, alpha_factor: Optional[float] = None):
    """ATA with alpha given, or alpha = alpha_factor * max_i mu_i (Section 7: alpha_factor = 2); alpha wins."""
    if alpha is None:
        if alpha_factor is None:
            raise ValueError("ATA needs alpha or alpha_factor (alpha = alpha_factor * max_i mu_i)")
        if not alpha_factor > 0:
            raise ValueError(f"ATA needs alpha_factor > 0, got {alpha_factor!r}")
        alpha = float(alpha_factor) * known.mean_bound
    return ata(known.budget, alpha=float(alpha))


def policy_algorithm(factory, display: str | None = None, color: str | None = None) -> Algorithm:
    """Register a ``Policy`` factory ``factory(budget, **hyperparameters)`` (the README's plugin path)."""

    def build(known: AllocationView, **hp):
        return factory(known.budget, **hp)

    build.__doc__ = factory.__doc__
    build.__signature__ = _with_known(factory)
    return Algorithm(build=build, display=display, color=color)


def _with_known(factory):
    import inspect

    sig = inspect.signature(factory)
    params = list(sig.parameters.values())[1:]  # drop ``budget``
    return sig.replace(parameters=[inspect.Parameter("known", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + params)


ALGORITHMS.add("ata", Algorithm(build_ata, display="ATA", color="tab:blue"))
ALGORITHMS.add("ata_empirical", Algorithm(lambda known, eta: ata_empirical(known.budget, eta=eta), display="ATA-E",
                                          color="tab:orange"))
ALGORITHMS.add("ofta", Algorithm(lambda known, a_bar: ofta(known.budget, a_bar), display="OFTA", color="tab:green",
                                 sees_oracle=True))
ALGORITHMS.add("gta", Algorithm(lambda problem: gta_simulation(problem.static.law, problem.static.budget,
                                                               problem.params),
                                display="GTA", color="tab:red", kind="simulation"))
ALGORITHMS.add("uta", Algorithm(lambda known: uta(known.budget), display="UTA", color="tab:purple"))


def build(name: str, problem: Problem, **hp) -> Simulation:
    """The simulation of algorithm ``name`` on ``problem`` (tests, benchmarks, notebooks)."""
    from .paper import PAPER

    return build_simulation(PAPER, name, problem, hp)
