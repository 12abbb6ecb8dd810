"""ATA paper: adaptive task allocation across workers with random computation times."""
from .algorithms import ALGORITHMS, DISPLAY, build
from .environment import AllocationParams, AllocationProblem, allocation_env, make_problem, proxy_loss
from .time_laws import TIME_LAWS, make_time_law, worker_scales
from .water_filling import Allocation, explore_or_exploit, optimal_allocation

__all__ = [
    "ALGORITHMS", "DISPLAY", "build", "AllocationParams", "AllocationProblem", "allocation_env",
    "make_problem", "proxy_loss", "TIME_LAWS", "make_time_law", "worker_scales", "Allocation",
    "explore_or_exploit", "optimal_allocation",
]
