"""ATA paper: adaptive task allocation across workers with random computation times."""
from .algorithms import ALGORITHMS, build, policy_algorithm
from .environment import AllocationParams, AllocationView, allocation_env, make_problem, proxy_loss
from .time_laws import TIME_LAWS, make_time_law, worker_scales
from .water_filling import Allocation, explore_or_exploit, optimal_allocation

__all__ = [
    "ALGORITHMS", "build", "policy_algorithm", "AllocationParams", "AllocationView", "allocation_env",
    "make_problem", "proxy_loss", "TIME_LAWS", "make_time_law", "worker_scales", "Allocation",
    "explore_or_exploit", "optimal_allocation",
]
