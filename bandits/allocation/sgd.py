"""Homogeneous minibatch SGD on a simulated clock (paper Algorithms 2/3, Section 7).

x_{k+1} = x_k - (gamma / B) sum_{j=1}^B g_j(x_k),   g_j(x) = grad f(x) + 0.001 xi_j 1,  xi_j ~ N(0, 1)

f(x) = 1/2 x^T A x - b^T x,  A = 1/4 tridiag(-1, 2, -1) in R^{d x d},  b = 1/4 (-1, 0, ..., 0),
d = 100, x_0 = (sqrt(d), 0, ..., 0), gamma = 1e-4. The noise makes
E||g - grad f||^2 = d * 1e-6 = 0.01^2 (the paper's bound). The average of the B
scalars is exactly N(0, 1e-6 / B), so one normal draw per round suffices.

Every allocation method takes the same step per round (homogeneous regime), so
the loss-per-iteration curve is the same process for all of them; only the clock
differs. The suite simulates it once per seed and maps it onto each method's
clock, or (``sgd_mode=inside``) runs it inside each method: with the same noise
sub-stream the two give identical iterates.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from bandits.core import rng, streams
from bandits.core.types import Simulation



class QuadraticProblem(NamedTuple):
    dim: int
    lr: float
    noise_std: float
    x_star: np.ndarray
    x0: np.ndarray


def quadratic_problem(dim: int = 100, lr: float = 1e-4, noise_std: float = 1e-3) -> QuadraticProblem:
    if dim < 2:
        raise ValueError(f"dimension must be >= 2, got {dim}")
    A = 0.25 * (2 * np.eye(dim) - np.eye(dim, k=1) - np.eye(dim, k=-1))
    b = np.zeros(dim)
    b[0] = -0.25
    x0 = np.zeros(dim)
    x0[0] = np.sqrt(dim)
    return QuadraticProblem(dim, float(lr), float(noise_std), np.linalg.solve(A, b), x0)


def apply_A(x):
    """A x for A = 1/4 tridiag(-1, 2, -1) with zero boundary."""
    left = jnp.concatenate([jnp.zeros(1, x.dtype), x[:-1]])
    right = jnp.concatenate([x[1:], jnp.zeros(1, x.dtype)])
    return 0.25 * (2.0 * x - left - right)


def sgd_simulation(problem: QuadraticProblem, budget: int) -> Simulation:
    dtype = jnp.zeros(()).dtype
    x_star = jnp.asarray(problem.x_star, dtype)
    b = jnp.zeros(problem.dim, dtype).at[0].set(-0.25)
    batch_std = problem.noise_std / np.sqrt(budget)

    def init(key):
        return jnp.asarray(problem.x0, dtype)

    def sample(key, rounds):
        return rng.normal(streams.sub(key, streams.COMPANION), (rounds,)).astype(dtype)

    def step(x, xi, t):
        g = apply_A(x) - b + batch_std * xi
        return x - problem.lr * g

    def metrics(x):
        e = x - x_star
        grad = apply_A(x) - b
        return {
            "grad_norm_sq": jnp.sum(grad * grad),
            "suboptimality": 0.5 * jnp.dot(e, apply_A(e)),  # f(x) - f*, computed stably
        }

    return Simulation(init=init, sample=sample, step=step, metrics=metrics)
