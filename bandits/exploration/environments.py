"""Environments of Appendix I, Table 1 (spec section 8) and the Gaussian reward + cost model.

Observation model (spec section 1): pulling arm a returns a reward mu_a + sd_a Z_0 and a
cost vector A[:, a] + (Z_1, ..., Z_d), Z ~ N(0, I): the column of the pulled arm plus unit
Gaussian noise. The environment's ``params`` hold the oracle (true mu, sds, true A, the
optimum pi*); the learner's view ``known`` holds only b, the sds the algorithms assume,
delta, r, and -- for the known-constraint baselines CTnS/CGE only -- the true A.

Setup 1 follows the authors' code and Carlsson et al. (pi1 + pi2 <= 0.5, pi3 + pi4 + pi5 <=
0.5), not the paper's printed table (pi1 + pi2 + pi3 <= 0.5, pi4 + pi5 <= 0.5), which
contradicts the text (spec section 8); the printed one is kept as ``setup1-printed``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from bandits.core import rng
from bandits.core.types import ActionCheck, Environment

from . import polytope

DATA = Path(__file__).resolve().parent / "data"
ASSESS_TOL = 1e-6


class ExplorationParams(NamedTuple):
    """Oracle: everything the environment (and the metrics) may see."""

    mu: jax.Array  # [K]   true mean rewards
    sd: jax.Array  # [K]   true reward noise sds
    A: jax.Array  # [d, K] true constraint matrix (unknown to LATS/LAGEX)
    b: jax.Array  # [d]
    pi_star: jax.Array  # [K]  argmax_{pi in F} mu^T pi
    value_star: jax.Array  # scalar mu^T pi*
    r: jax.Array  # scalar slack of an r-good answer


class ExplorationKnown(NamedTuple):
    """The learner's view (what a ``Policy`` receives)."""

    b: jax.Array  # [d]
    sigma: jax.Array  # [K]  sds the algorithms assume (imdb: the max sd for every arm)
    delta: jax.Array  # scalar confidence
    r: jax.Array  # scalar
    A: Optional[jax.Array] = None  # [d, K] only for the known-constraint baselines (CTnS, CGE)


class EnvState(NamedTuple):
    rounds: jax.Array  # int32 rounds played
    pulls: jax.Array  # int32[K]


class ExplorationProblem(NamedTuple):
    name: str
    params: ExplorationParams
    known: ExplorationKnown
    label: str

    def with_known_constraints(self) -> "ExplorationProblem":
        """The view of CTnS / CGE (Carlsson et al. 2024): the true A is known."""
        return self._replace(known=self.known._replace(A=self.params.A))


def _sel(K, rows):
    A = np.zeros((len(rows), K))
    for i, arms in enumerate(rows):
        A[i, list(arms)] = 1.0
    return A


def setup1(mu3: float = 0.5, printed: bool = False):
    """Setup 1: mu = [1.5, 1.0, mu3, 0.4, 0.3, 0.2, 0.1] (hard: 0.5, easy: 1.3; Fig. 2 sweeps mu3)."""
    mu = np.array([1.5, 1.0, mu3, 0.4, 0.3, 0.2, 0.1])
    rows = [(0, 1, 2), (3, 4)] if printed else [(0, 1), (2, 3, 4)]
    return mu, _sel(7, rows), np.array([0.5, 0.5])


def load_imdb():
    with open(DATA / "imdb.json") as f:
        data = json.load(f)
    movies = data["movies"]
    mu = np.array([m["rating_total"] for m in movies], float) / data["n_users"]
    sd = np.array([m["sd"] for m in movies], float)
    g = {k: np.array([m[k] for m in movies], float) for k in data["genres"]}
    A = np.stack([g["action"], -g["drama"], -g["family"]])  # action <= .3, drama >= .3, family >= .3
    b = np.array([0.3, -0.3, -0.3])
    return mu, sd, A, b, data


def _spec(name):
    if name == "setup1-hard":
        mu, A, b = setup1(0.5)
        return mu, np.ones(7), A, b, 0.01, None
    if name == "setup1-easy":
        mu, A, b = setup1(1.3)
        return mu, np.ones(7), A, b, 0.01, None
    if name == "setup1-printed":
        mu, A, b = setup1(0.5, printed=True)
        return mu, np.ones(7), A, b, 0.01, None
    if name in ("setup2-hard", "setup2-easy"):
        mu = np.array([1, 0.5, 0.4, 0.4, 0.5]) if name == "setup2-hard" else np.array([1, 0.5, 0.4, 0.95, 0.8])
        return mu, np.ones(5), _sel(5, [(0, 1), (2, 3)]), np.array([0.5, 0.5]), 0.1, None
    if name == "imdb":
        mu, sd, A, b, _ = load_imdb()
        return mu, sd, A, b, 0.1, np.full(len(mu), sd.max())
    if name == "figure1":
        return np.array([3.0, 2.0, 4.0]), np.ones(3), np.array([[-3.0, -2.0, -1.0]]), np.array([-2.0]), 0.1, None
    raise ValueError(f"unknown environment {name!r}; valid choices: {', '.join(ENVIRONMENTS)}")


ENVIRONMENTS = ("setup1-hard", "setup1-easy", "setup1-printed", "setup2-hard", "setup2-easy", "imdb", "figure1")


@jax.jit
def _lp(mu, A, b):
    return polytope.lp_argmax(mu, polytope.vertices(A, b))


def optimum(mu, A, b):
    """pi* = argmax_{pi in F} mu^T pi by vertex enumeration (numpy in, numpy out; float64)."""
    with jax.enable_x64(True):
        sol = _lp(jnp.asarray(mu, jnp.float64), jnp.asarray(A, jnp.float64), jnp.asarray(b, jnp.float64))
        if not bool(sol.feasible):
            raise ValueError("the feasible set is empty")
        return np.asarray(sol.policy)


def from_arrays(name, mu, sd, A, b, delta, sigma_known=None, r: float = 0.0, dtype=None) -> ExplorationProblem:
    dtype = dtype or jnp.zeros(()).dtype
    mu, sd, A, b = (np.asarray(x, float) for x in (mu, sd, A, b))
    pi = optimum(mu, A, b)
    params = ExplorationParams(
        mu=jnp.asarray(mu, dtype), sd=jnp.asarray(sd, dtype), A=jnp.asarray(A, dtype), b=jnp.asarray(b, dtype),
        pi_star=jnp.asarray(pi, dtype), value_star=jnp.asarray(float(mu @ pi), dtype), r=jnp.asarray(r, dtype))
    sigma = sd if sigma_known is None else np.asarray(sigma_known, float)
    known = ExplorationKnown(b=jnp.asarray(b, dtype), sigma=jnp.asarray(sigma, dtype),
                             delta=jnp.asarray(delta, dtype), r=jnp.asarray(r, dtype))
    K, d = len(mu), len(b)
    return ExplorationProblem(name=name, params=params, known=known, label=f"{name} K={K} d={d} delta={delta:g}")


def make_problem(name: str, r: float = 0.0, dtype=None) -> ExplorationProblem:
    mu, sd, A, b, delta, sigma_known = _spec(name)
    return from_arrays(name, mu, sd, A, b, delta, sigma_known, r=r, dtype=dtype)


def true_vertex(basis, params: ExplorationParams):
    """Solve [G_S; 1^T] x = [h_S; 1] with the true G = [-I; A], h = [0; b]; (x, nonsingular)."""
    G, h0, _ = polytope.constraint_rows(params.A, params.b)
    K = params.mu.shape[0]
    mat = jnp.concatenate([G[basis], jnp.ones((1, K), G.dtype)], axis=0)
    rhs = jnp.concatenate([h0[basis], jnp.ones(1, G.dtype)])
    sign, logdet = jnp.linalg.slogdet(mat)
    lognorms = jnp.log(jnp.maximum(jnp.linalg.norm(mat, axis=-1), jnp.finfo(G.dtype).tiny)).sum()
    ok = (sign != 0) & (logdet - lognorms > jnp.log(polytope.SING_TOL))
    x = jnp.linalg.solve(jnp.where(ok, mat, jnp.eye(K, dtype=G.dtype)), rhs)
    return x, ok & jnp.isfinite(x).all()


def exploration_env() -> Environment:
    """Gaussian reward + unit-Gaussian cost vector of the pulled arm (spec section 1)."""

    def reset(key, params: ExplorationParams):
        del key
        return EnvState(rounds=jnp.int32(0), pulls=jnp.zeros(params.mu.shape[0], jnp.int32))

    def sample(key, rounds, params: ExplorationParams):
        return rng.normal(key, (rounds, 1 + params.A.shape[0])).astype(params.mu.dtype)

    def step(z, state: EnvState, action, params: ExplorationParams):
        reward = params.mu[action] + params.sd[action] * z[0]
        cost = params.A[:, action] + z[1:]
        state = EnvState(rounds=state.rounds + 1, pulls=state.pulls.at[action].add(1))
        return state, (reward, cost)

    def metrics(state: EnvState, params):
        return {"rounds": state.rounds}

    def assess(answer, params: ExplorationParams):
        """Judge a recommendation (policy pi_hat [K], basis int32[K-1]; a bare policy is judged as is).

        correct          the basis defines pi* in the true polytope (vertex identification; pi_hat itself
                         is a vertex of the enlarged F_hat and is off pi* by the shift c_tau)
        exact            max |pi_hat - pi*| <= 1e-6
        feasible         A pi_hat <= b + 1e-6 (the returned policy itself)
        r_good           the true vertex of the basis is feasible and mu^T x >= mu^T pi* - r
        r_good_feasible  the returned policy itself is feasible and mu^T pi_hat >= mu^T pi* - r (the target of
                         Definition 1 of the AISTATS version: what a user can deploy)
        """
        f = params.mu.dtype
        policy = jnp.asarray(getattr(answer, "policy", answer), f)
        if hasattr(answer, "basis"):
            x, ok = true_vertex(answer.basis, params)
        else:
            x, ok = policy, jnp.bool_(True)
        correct = ok & (jnp.max(jnp.abs(x - params.pi_star)) <= ASSESS_TOL)
        exact = jnp.max(jnp.abs(policy - params.pi_star)) <= ASSESS_TOL
        feasible = jnp.all(params.A @ policy <= params.b + ASSESS_TOL)
        x_feasible = ok & jnp.all(params.A @ x <= params.b + ASSESS_TOL) & jnp.all(x >= -ASSESS_TOL)
        good = x_feasible & (params.mu @ x >= params.value_star - params.r - ASSESS_TOL)
        good_feasible = feasible & (params.mu @ policy >= params.value_star - params.r - ASSESS_TOL)
        return {"correct": correct.astype(f), "exact": exact.astype(f), "feasible": feasible.astype(f),
                "r_good": good.astype(f), "r_good_feasible": good_feasible.astype(f)}

    def holds(action, params: ExplorationParams):
        a = jnp.asarray(action)
        if not (a.shape == () and jnp.issubdtype(a.dtype, jnp.integer)):  # static: a constant condition
            return jnp.array([False, True])
        return jnp.stack([jnp.bool_(True), (a >= 0) & (a < params.mu.shape[0])])

    validate = ActionCheck(names=("the arm is an integer", "the arm within 0..K-1"), holds=holds)
    return Environment(reset=reset, sample=sample, step=step, metrics=metrics, assess=assess, validate=validate)
