"""CGE (Carlsson et al. 2024; Appendix I baseline): the gamified explorer with the *known*
constraint matrix -- the LAGEX loop with A_hat := A, no shift, no multiplier."""
from __future__ import annotations

from bandits.core.types import Policy

from .lagex import lagex
from .machinery import Config


def cge(cfg: Config = Config(), eta: float = 1.0) -> Policy:
    """Needs ``known.A`` (``ExplorationProblem.with_known_constraints()``)."""
    return lagex(cfg._replace(known_constraints=True), multiplier=False, eta=eta)
