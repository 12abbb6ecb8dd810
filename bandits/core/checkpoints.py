"""Checkpoint grids: where metrics are recorded (never every round for every seed)."""
from __future__ import annotations

import numpy as np


def log_grid(horizon: int, points: int = 100) -> np.ndarray:
    """Distinct, increasing round counts in [1, horizon], log-spaced, always ending at ``horizon``.

    Round counts are 1-based: a checkpoint ``k`` records the state *after* k rounds.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if points < 1:
        raise ValueError(f"checkpoint points must be >= 1, got {points}")
    grid = np.unique(np.round(np.logspace(0, np.log10(horizon), num=points)).astype(np.int64))
    grid = grid[(grid >= 1) & (grid <= horizon)]
    if grid.size == 0 or grid[-1] != horizon:
        grid = np.append(grid, horizon)
    return grid
