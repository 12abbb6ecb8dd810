"""Example plugin for the LATS / LAGEX paper: the "confusing pair" explorer, a sampling rule in one file.

end of round n (the shared loop ``bandits.exploration.machinery`` gives pi_n, the vertices of F_hat_n and which
of them are alternatives to pi_n):
    u* = argmin_u G_u(N)                        the alternative the GLR finds hardest to reject at the counts N
    omega = (1 - eps) |pi_n - u*| / ||pi_n - u*||_1 + eps / K
                                                sample where the two answers differ, plus a little of everything

The loop adds the rest as for the paper's algorithms: the estimates, F_hat_n, C- or D-tracking, the stopping rule
of ``experiment.stopping`` and its recommendation. Loaded by a preset through ``plugins: [examples.lats_explorer]``
(``configs/experiment/examples/lats_explorer.yaml``).
"""
import jax.numpy as jnp

from bandits.exploration import gaussian
from bandits.exploration.machinery import Context, Rule
from bandits.exploration.paper import ALGORITHMS, explorer_algorithm


def confusing_pair(known, eps: float = 0.1) -> Rule:
    """Args: known, the learner's view (unused here); eps in (0, 1], the uniform share. Returns: a ``Rule``."""
    if not 0 < eps <= 1:
        raise ValueError(f"eps must be in (0, 1], got {eps!r}")

    def init(K, d, dtype):
        return jnp.zeros((), dtype)  # no state of its own

    def step(state, ctx: Context):
        K = ctx.mu_hat.shape[0]
        counts = ctx.counts.astype(ctx.mu_hat.dtype)
        _, _, hardest = gaussian.best_response(ctx.mu_hat, ctx.sigma2, ctx.pi, ctx.verts.points, ctx.alt, counts,
                                               ctx.r)
        diff = jnp.abs(ctx.pi - ctx.verts.points[hardest])
        total = diff.sum()
        pair = jnp.where(ctx.alt.any() & (total > 0), diff / jnp.where(total > 0, total, 1.0), 1.0 / K)
        return (1.0 - eps) * pair + eps / K, state

    return Rule(init=init, step=step)


if "confusing_pair" not in ALGORITHMS:
    ALGORITHMS.add("confusing_pair", explorer_algorithm(confusing_pair, display="Confusing pair", color="tab:cyan"))
