"""Paper-agnostic core: interfaces, runner, registries, results."""
from . import streams
from .batch import SEED_AXIS, branch_on_batch
from .checkpoints import log_grid
from .registry import Registry, UnknownNameError
from .runner import RunConfig, run_fixed_horizon, run_until_stopped
from .types import Environment, Policy, Simulation, combine, interact

__all__ = ["streams", "SEED_AXIS", "branch_on_batch", "log_grid", "Registry", "UnknownNameError", "RunConfig",
           "run_fixed_horizon", "run_until_stopped", "Environment", "Policy", "Simulation", "combine", "interact"]
