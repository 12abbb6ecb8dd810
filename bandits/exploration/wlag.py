"""The '-WLag' baselines of Appendix I: unknown A, the plug-in polytope F_hat_t with the shift,
but no Lagrange multiplier.

CTnS-WLag: the Track-and-Stop allocation maximised over F_hat_t directly (restricted domain).
CGE-WLag:  the gamified explorer without the multiplier term in the gains (the authors' code
           reads the true constraint matrix here -- a bug the suite does not reproduce).
"""
from __future__ import annotations

from bandits.core.types import Policy

from .lagex import lagex
from .lats import NEWTON_STEPS, STAGES, lats
from .machinery import Config


def ctns_wlag(cfg: Config = Config(), stages: int = STAGES, newton_steps: int = NEWTON_STEPS) -> Policy:
    return lats(cfg._replace(known_constraints=False), multiplier=False, restricted=True, stages=stages,
                newton_steps=newton_steps)


def cge_wlag(cfg: Config = Config(), eta: float = 1.0) -> Policy:
    return lagex(cfg._replace(known_constraints=False), multiplier=False, eta=eta)
