"""ATA (Algorithm 1 with the LCB of eq. 7). Input alpha >= max_i ||X_i||_psi1."""
from __future__ import annotations

from functools import partial

from bandits.core.types import Policy

from .confidence import ata_lcb, ata_lcb_vanishes
from .lcb_policy import lcb_policy


def ata(budget: int, alpha: float) -> Policy:
    if not alpha > 0:
        raise ValueError(f"ATA needs alpha > 0 (an upper bound on max_i ||X_i||_psi1), got {alpha}")
    return lcb_policy(partial(ata_lcb, alpha=float(alpha)), budget,
                      vanishes=partial(ata_lcb_vanishes, alpha=float(alpha)))
