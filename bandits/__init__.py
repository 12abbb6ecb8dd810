"""A JAX benchmark suite for bandit algorithms: one runner, many papers."""
import os as _os
import sys as _sys
import warnings as _warnings

__version__ = "0.1.0"

# Same seed, same results, whatever the batch size: XLA-CPU hands large reductions (about 4,096 elements and
# up) to a YNNPACK fusion whose summation order differs from the loop emitter's, so a seed's sum over K arms
# changed by 1 ulp between a batch of 1000 and one of 100 (and stopping times then differ). Turning that one
# fusion type off keeps every reduction in the loop emitter, whose order per row does not depend on the batch
# width. It must be set before JAX creates its CPU client, hence here, at the package's first import.
DETERMINISM_XLA_FLAGS = ("--xla_cpu_experimental_ynn_fusion_type=-reduce",)


def _set_determinism_flags() -> None:
    flags = _os.environ.get("XLA_FLAGS", "")
    missing = [f for f in DETERMINISM_XLA_FLAGS if f.split("=")[0] not in flags]
    if not missing:
        return
    _os.environ["XLA_FLAGS"] = " ".join([flags, *missing]).strip()
    if "jax" in _sys.modules:
        from jax._src import xla_bridge

        if xla_bridge.backends_are_initialized():
            _warnings.warn("JAX's backend started before `bandits` was imported, so XLA_FLAGS lacks "
                           f"{' '.join(missing)}: results may differ in the last bit across batch sizes; "
                           "import bandits first or set XLA_FLAGS yourself", stacklevel=3)


_set_determinism_flags()
