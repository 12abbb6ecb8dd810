"""GLM experts (the paper's experiment, spec sections 2 and 5).

Expert i predicts y_hat = sigma_i(<theta, x>) with its own fixed link sigma_i,
trains by projected online gradient descent on the squared loss
l(theta, (x, y)) = (sigma_i(<theta, x>) - y)^2 over the ball {||theta|| <= rho}:

  session k (1-based):  g = 2 (y_hat - y) sigma_i'(<theta, x>) x
                        theta <- Pi_rho(theta - eta_k g),  eta_k = D / (G_i sqrt k),  D = 2 rho
  safe advice (eq. 7):  theta_bar = mean of the states used at the n sessions (theta_0 when n = 0);
                        option ``safe="prediction"``: the mean of their predictions
                        (1/n) sum_k sigma_i(<theta_k, x>), which keeps a history of the
                        first ``history`` states (O(history) work per round and expert)
  regret bound:         R_i(n) = 1.5 G_i D sqrt(n)

G_i = 2 sup|sigma_i'| sup|y_hat - y| (||x|| = 1): a Lipschitz constant of the loss (``lipschitz``), or one
constant G for every link (spec section 9: ``lipschitz_constants(..., mode="common")``); G_i sets both the
regret bound and the step.
The bound and parameter averaging are exact for the identity link (convex
loss); with a nonlinear link the squared loss is not convex in theta and both
are heuristics (spec section 5).

Data (``sample``): x ~ uniform on S^{d-1}, y ~ Bernoulli(sigma_true(<theta*, x>)).
z = GLMData(x, y, p_star) with p_star = sigma_true(<theta*, x>): the experts
read x and y only; p_star feeds the environment's Rao-Blackwellised
pseudo-regret increment (y_hat - p_star)^2 = E[(y_hat - y)^2 | x] - E[(p_star - y)^2 | x].
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
from jax.scipy.special import erfc

from bandits.core import rng

from .confidence import RegretBound
from .family import ExpertFamily

SQRT2 = math.sqrt(2.0)


def _logistic(s):
    return jax.nn.sigmoid(s)


def _logistic_d(s):
    p = jax.nn.sigmoid(s)
    return p * (1.0 - p)


def _probit(s):
    return 0.5 * erfc(-s / SQRT2)


def _probit_d(s):
    return jnp.exp(-0.5 * s * s) / math.sqrt(2.0 * math.pi)


def _clipped(s):
    return jnp.clip(0.5 + 0.25 * s, 0.0, 1.0)


def _clipped_d(s):
    v = 0.5 + 0.25 * s
    return jnp.where((v > 0.0) & (v < 1.0), 0.25, 0.0)


def _cloglog(s):
    return -jnp.expm1(-jnp.exp(s))


def _cloglog_d(s):
    return jnp.exp(s - jnp.exp(s))


def _identity(s):
    return s


def _identity_d(s):
    return jnp.ones_like(s)


# name -> (sigma, sigma', sup |sigma'|, bounded in [0, 1])
LINKS = {
    "logistic": (_logistic, _logistic_d, 0.25, True),
    "probit": (_probit, _probit_d, 1.0 / math.sqrt(2.0 * math.pi), True),
    "clipped_linear": (_clipped, _clipped_d, 0.25, True),
    "cloglog": (_cloglog, _cloglog_d, 1.0 / math.e, True),
    "identity": (_identity, _identity_d, 1.0, False),  # unbounded predictions: for the OGD checks only
}
PAPER_LINKS = ("logistic", "probit", "clipped_linear", "cloglog")


def link_fn(name: str):
    if name not in LINKS:
        raise ValueError(f"unknown link {name!r}; valid choices: {', '.join(LINKS)}")
    return LINKS[name][0]


def lipschitz(name: str, rho: float) -> float:
    """G = 2 sup|sigma'| sup|y_hat - y| for ||x|| <= 1, y in {0, 1}, ||theta|| <= rho."""
    _, _, dmax, bounded = LINKS[name]
    return 2.0 * dmax * (1.0 if bounded else rho + 1.0)


LIPSCHITZ_MODES = ("common", "per_link")


def lipschitz_constants(links: Sequence[str], rho: float, mode: str, G: float) -> list[float]:
    """G_i per expert: ``common``: G for every link; ``per_link``: each link's own ``lipschitz(link, rho)``."""
    if mode not in LIPSCHITZ_MODES:
        raise ValueError(f"unknown Lipschitz mode {mode!r}; valid choices: {', '.join(LIPSCHITZ_MODES)}")
    return [float(G)] * len(links) if mode == "common" else [lipschitz(name, rho) for name in links]


class GLMData(NamedTuple):
    x: jax.Array  # [d] (per round)
    y: jax.Array  # label in {0, 1} (float)
    p_star: jax.Array  # sigma_true(<theta*, x>): environment-side only


class GLMOracle(NamedTuple):
    theta_star: jax.Array  # [d]


class GLMState(NamedTuple):
    theta: jax.Array  # [K, d]  current state theta_i
    theta_sum: jax.Array  # [K, d]  sum of the states used at the past sessions
    sessions: jax.Array  # int32[K]  N_i
    history: jax.Array  # [K, H, d]  the states used at the first H sessions (H = 0: parameter averaging)


def paper_oracle(d: int = 5, scale: float = 3.0) -> GLMOracle:
    """theta* = (scale / sqrt d) 1 (spec section 5: ||theta*|| = 3)."""
    return GLMOracle(jnp.full((d,), scale / math.sqrt(d), dtype=jnp.zeros(()).dtype))


def sample_glm(key, rounds: int, oracle: GLMOracle, true_link: str = "logistic") -> GLMData:
    """x ~ uniform on the unit sphere S^{d-1}, y = 1{u < sigma_true(<theta*, x>)}, u ~ U(0, 1)."""
    d = oracle.theta_star.shape[0]
    g = rng.normal(jax.random.fold_in(key, 0), (rounds, d))
    x = g / jnp.linalg.norm(g, axis=-1, keepdims=True)
    u = rng.uniform(jax.random.fold_in(key, 1), (rounds,))
    p_star = link_fn(true_link)(x @ oracle.theta_star)
    return GLMData(x=x, y=(u < p_star).astype(x.dtype), p_star=p_star)


def best_in_class_excess(links: Sequence[str], theta_star: Sequence[float], rho: float, true_link: str,
                         samples: int = 1 << 14, seed: int = 0) -> tuple[float, ...]:
    """Oracle side: each link's best excess loss over the Bayes predictor,

      e_i = min_{||theta|| <= rho} E_x[(sigma_i(<theta, x>) - sigma_true(<theta*, x>))^2],  x ~ uniform on S^{d-1}

    (the squared loss's excess: E[(y_hat - y)^2 | x] - E[(p* - y)^2 | x] = (y_hat - p*)^2). By the rotation
    invariance of x about u = theta*/||theta*||, the expectation depends on theta only through
    (a, b) = (<theta, u>, ||theta - <theta, u> u||), so the minimum is over the half-disk a^2 + b^2 <= rho^2,
    b >= 0: a grid, then Nelder-Mead from its best point. Expectations are means over ``samples`` fixed draws
    of (<x, u>, <x, v>), v a unit vector orthogonal to u (deterministic: ``seed``), computed in float64.

    Returns:
      (e_1, ..., e_K), the ranking of the experts by their best attainable loss (e = 0 for the true link when
      ||theta*|| <= rho).
    """
    return _best_in_class_excess(tuple(links), tuple(float(v) for v in theta_star), float(rho), true_link,
                                 int(samples), int(seed))


@functools.lru_cache(maxsize=None)  # a preset's problems are built twice (the check, then the run)
def _best_in_class_excess(links, theta_star, rho, true_link, samples, seed):
    import numpy as np
    from scipy.optimize import minimize

    theta = np.asarray(theta_star)
    gauss = np.random.default_rng(seed).normal(size=(samples, max(len(theta), 2)))
    x = gauss / np.linalg.norm(gauss[:, :len(theta)], axis=1, keepdims=True)
    t, w = x[:, 0], (x[:, 1] if len(theta) > 1 else np.zeros(samples))  # d = 1: x = +-1, no orthogonal part
    with jax.enable_x64(True):
        def sigma(name, s):
            return np.asarray(LINKS[name][0](jnp.asarray(s, jnp.float64)))

        p_star = sigma(true_link, np.linalg.norm(theta) * t)

        def excess(name, a, b):  # a, b: [P] -> [P]
            return np.mean((sigma(name, a[:, None] * t[None, :] + b[:, None] * w[None, :]) - p_star) ** 2, axis=1)

        def objective(name, ab):  # (a, b) projected onto the half-disk
            a, b = float(ab[0]), abs(float(ab[1]))
            r = math.hypot(a, b)
            a, b = (a, b) if r <= rho else (a * rho / r, b * rho / r)
            return float(excess(name, np.array([a]), np.array([b]))[0])

        A, B = np.meshgrid(np.linspace(-rho, rho, 17), np.linspace(0.0, rho, 9))
        inside = A ** 2 + B ** 2 <= rho * rho * (1 + 1e-12)
        A, B = A[inside], B[inside]
        out = []
        for name in links:
            start = int(np.argmin(excess(name, A, B)))
            res = minimize(functools.partial(objective, name), [A[start], B[start]], method="Nelder-Mead",
                           options={"xatol": 1e-5, "fatol": 1e-13})
            out.append(max(float(res.fun), 0.0))
    return tuple(out)


def project(theta, rho: float):
    """Pi_rho(theta) = theta min(1, rho / ||theta||) (Euclidean projection onto the ball), rowwise."""
    norm = jnp.linalg.norm(theta, axis=-1, keepdims=True)
    return theta * jnp.minimum(1.0, rho / jnp.maximum(norm, 1e-30))


def glm_experts(links: Sequence[str] = PAPER_LINKS, d: int = 5, rho: float = 4.0, true_link: str = "logistic",
                lipschitz_constants: Sequence[float] | None = None, safe: str = "parameter",
                history: int = 0) -> ExpertFamily:
    """K = len(links) projected-OGD GLM experts with parameter-averaged safe advice.

    Args:
      links: one link name per expert (``LINKS``).
      d: feature dimension.
      rho: radius of the parameter ball (diameter D = 2 rho).
      true_link: the link generating the labels (oracle side).
      lipschitz_constants: G_i per expert, in the regret bound and the step (default: each link's own
        ``lipschitz(link, rho)``; ``lipschitz_constants`` builds them from a mode).
      safe: "parameter" (average the states, eq. 7) or "prediction" (average the predictions).
      history: with safe="prediction", the number of past states kept (>= the horizon; beyond
        it the average covers the first ``history`` states only).

    Returns:
      An ``ExpertFamily``; its oracle is a ``GLMOracle``.
    """
    links = tuple(links)
    if safe not in ("parameter", "prediction"):
        raise ValueError(f"safe must be 'parameter' or 'prediction', got {safe!r}")
    if safe == "prediction" and history < 1:
        raise ValueError("safe='prediction' needs history >= 1 (the horizon)")
    H = int(history) if safe == "prediction" else 0
    for name in links:
        link_fn(name)
    K = len(links)
    D = 2.0 * rho
    G = [lipschitz(n, rho) for n in links] if lipschitz_constants is None else [float(g) for g in lipschitz_constants]
    if len(G) != K or not all(math.isfinite(g) and g > 0.0 for g in G):
        raise ValueError(f"lipschitz_constants must be {K} finite numbers > 0, got {G}")
    dtype = jnp.zeros(()).dtype
    G_arr = jnp.asarray(G, dtype)
    true_sigma = link_fn(true_link)

    def linear(theta, x):  # [K, d], [d] -> [K]; elementwise, not a dot: it fuses under vmap (tiny K, d)
        return jnp.sum(theta * x, axis=-1)

    def apply_links(s, which=0):  # s [K] -> per-expert sigma_i(s_i) (or sigma_i')
        return jnp.stack([LINKS[name][which](s[i]) for i, name in enumerate(links)])

    def init():
        zeros = jnp.zeros((K, d), dtype)
        return GLMState(theta=zeros, theta_sum=zeros, sessions=jnp.zeros(K, jnp.int32),
                        history=jnp.zeros((K, H, d), dtype))

    def raw_loss(state, z):
        y_hat = apply_links(linear(state.theta, z.x))
        return (y_hat - z.y) ** 2

    def update(state, z):
        s = linear(state.theta, z.x)
        y_hat = apply_links(s)
        grad = (2.0 * (y_hat - z.y) * apply_links(s, 1))[:, None] * z.x[None, :]
        k = (state.sessions + 1).astype(dtype)
        eta = D / (G_arr * jnp.sqrt(k))
        theta = project(state.theta - eta[:, None] * grad, rho)
        slot = jnp.arange(H)[None, :, None] == state.sessions[:, None, None]
        history = jnp.where(slot, state.theta[:, None, :], state.history)
        return GLMState(theta=theta, theta_sum=state.theta_sum + state.theta, sessions=state.sessions + 1,
                        history=history)

    def safe_theta(state):
        n = state.sessions
        avg = state.theta_sum / jnp.maximum(n, 1).astype(dtype)[:, None]
        return jnp.where((n > 0)[:, None], avg, state.theta)

    def safe_prediction(state, z):
        if H == 0:
            return apply_links(linear(safe_theta(state), z.x))
        preds = apply_links(state.history @ z.x)  # [K, H]
        kept = jnp.minimum(state.sessions, H)
        used = jnp.arange(H)[None, :] < kept[:, None]
        avg = jnp.where(used, preds, 0.0).sum(axis=1) / jnp.maximum(kept, 1).astype(dtype)
        return jnp.where(kept > 0, avg, apply_links(linear(state.theta, z.x)))

    def advice_loss(state, z):
        return (safe_prediction(state, z) - z.y) ** 2

    def advice_excess(state, z, oracle):
        return (safe_prediction(state, z) - z.p_star) ** 2

    def benchmark_loss(z, oracle):
        return (z.p_star - z.y) ** 2

    def sample(key, rounds, oracle):
        return sample_glm(key, rounds, oracle, true_link)

    bound = RegretBound(scale=1.5 * G_arr * D, exponent=jnp.full(K, 0.5, dtype), log_power=jnp.zeros(K, dtype))
    return ExpertFamily(init=init, raw_loss=raw_loss, update=update, advice_loss=advice_loss,
                        advice_excess=advice_excess, benchmark_loss=benchmark_loss, sample=sample, bound=bound,
                        names=links)
