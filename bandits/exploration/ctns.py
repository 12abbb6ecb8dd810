"""CTnS (Carlsson et al. 2024; Appendix I baseline): Track-and-Stop with the *known* constraint
matrix -- the LATS loop with A_hat := A, no shift, no multiplier (the allocation maximises
min_u G_u over Delta_K, or over F with ``restricted``)."""
from __future__ import annotations

from bandits.core.types import Policy

from .lats import NEWTON_STEPS, STAGES, lats
from .machinery import Config


def ctns(cfg: Config = Config(), restricted: bool = False, stages: int = STAGES,
         newton_steps: int = NEWTON_STEPS) -> Policy:
    """Needs ``known.A`` (``ExplorationProblem.with_known_constraints()``)."""
    return lats(cfg._replace(known_constraints=True), multiplier=False, restricted=restricted, stages=stages,
                newton_steps=newton_steps)
