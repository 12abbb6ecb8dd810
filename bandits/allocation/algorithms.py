"""Registry of task-allocation algorithms: name -> builder of a core ``Simulation``.

Adding an algorithm = one file defining a ``Policy`` factory + one ``register``
call here (or in your own module) + one config entry. See README "Add your algorithm".
"""
from __future__ import annotations

from typing import Callable

from bandits.core.registry import Registry
from bandits.core.types import Simulation, interact

from .ata import ata
from .ata_empirical import ata_empirical
from .environment import AllocationProblem, allocation_env
from .gta import gta_simulation
from .ofta import ofta
from .uta import uta

# builder(problem, **hyperparameters) -> Simulation
ALGORITHMS: Registry[Callable[..., Simulation]] = Registry("algorithm")


def policy_algorithm(factory):
    """Wrap a ``Policy`` factory ``factory(budget, **hp)`` into a simulation builder."""

    def build(problem: AllocationProblem, **hp) -> Simulation:
        policy = factory(problem.budget, **hp)
        return interact(policy, allocation_env(problem.law, problem.budget), problem.params)

    build.__doc__ = factory.__doc__
    return build


ALGORITHMS.add("ata", policy_algorithm(ata))
ALGORITHMS.add("ata_empirical", policy_algorithm(ata_empirical))
ALGORITHMS.add("ofta", policy_algorithm(ofta))
ALGORITHMS.add("uta", policy_algorithm(uta))
ALGORITHMS.add("gta", lambda problem: gta_simulation(problem.law, problem.budget, problem.params))

# display names used in figures and tables
DISPLAY = {"ata": "ATA", "ata_empirical": "ATA-E", "ofta": "OFTA", "uta": "UTA", "gta": "GTA"}


def build(name: str, problem: AllocationProblem, **hp) -> Simulation:
    builder = ALGORITHMS.get(name)
    try:
        return builder(problem, **hp)
    except TypeError as e:  # unknown hyper-parameter names
        raise ValueError(f"bad hyper-parameters for algorithm {name!r}: {e}") from None
