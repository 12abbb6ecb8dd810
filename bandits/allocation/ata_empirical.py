"""ATA-Empirical (Algorithm 1 with the LCB of eq. 8). Input eta >= max_i sigma_i / mu_i."""
from __future__ import annotations

from functools import partial

from bandits.core.types import Policy

from .confidence import ata_empirical_lcb, ata_empirical_lcb_vanishes
from .lcb_policy import lcb_policy


def ata_empirical(budget: int, eta: float) -> Policy:
    if not eta >= 0:
        raise ValueError(f"ATA-Empirical needs eta >= 0 (an upper bound on max_i sigma_i/mu_i), got {eta}")
    return lcb_policy(partial(ata_empirical_lcb, eta=float(eta)), budget,
                      vanishes=partial(ata_empirical_lcb_vanishes, eta=float(eta)))
