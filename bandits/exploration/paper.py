"""The LATS / LAGEX paper in the suite: schema, checks, problems, algorithms, registration.

Das & Basu, *Learning to Explore with Lagrangians for Bandits under Unknown Linear Constraints*
(spec ``shared/specs/lats_lagex.md``). A stopping-time paper: every seed runs until its GLR
stopping rule fires or the cap ``horizon`` (reported as censored), then ``runs.parquet`` holds
``tau``, ``censored``, the judgement of the recommendation (``correct``, ``exact``, ``feasible``,
``r_good``; see ``environments.exploration_env().assess``) and the two violation counts of
spec section 9 (``violations_policy``: rounds whose recommendation pi_t violates the true
constraints, the authors' code; ``violations_allocation``: rounds whose allocation omega_t does,
the paper's text), counted by ``wrap`` on the metrics side (it reads the true A; the policy never).

The learner's view (``LatsView``) holds b, the assumed sds, delta, r and the run settings
(threshold, radius, tracking rule, lazy ``every``, restricted domain) as static fields. Only CTnS
and CGE see the true A, through ``sees_oracle`` (the oracle of every problem is the true A).

Problems are built with NumPy float64 leaves: the CLI enables float64 for this paper (``x64=True``)
only after the plan is built, so the policies and the environment turn the leaves into arrays of
the dtype in force when they are traced (float64 in the CLI's runs; float32 in the contract tests).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import List, Optional

import jax
import jax.numpy as jnp
import numpy as np
from omegaconf import MISSING

from bandits.core.experiment import (PAPERS, Algorithm, ConfigError, ExperimentSchema, Paper, Problem, as_list,
                                     dedupe, finite_float)
from bandits.core.ranges import MAX_HORIZON, WHY_ROUNDS, ranged
from bandits.core.registry import Registry
from bandits.core.types import Environment, Policy, Simulation, beside

from . import environments as E
from .cge import cge
from .characteristic_time import characteristic_time
from .ctns import ctns
from .lagex import lagex
from .lats import NEWTON_STEPS, STAGES, lats
from .machinery import Config, ExplorerState
from .ptns import ptns
from .thresholds import THRESHOLDS
from .uniform import uniform
from .wlag import cge_wlag, ctns_wlag

TRACKING = ("C", "D")
RADII = ("paper", "bound")
CUSTOM = "custom"
ENV_CHOICES = tuple(E.ENVIRONMENTS) + (CUSTOM,)
VIOLATION_TOL = 1e-9
INFINITE = -1.0  # stored in place of an infinite characteristic time / lower bound
DISPLAY = {"lagex": "LAGEX", "lats": "LATS", "ctns": "CTnS", "cge": "CGE", "ctns_wlag": "CTnS-WLag",
           "cge_wlag": "CGE-WLag", "ptns": "PTnS", "uniform": "Uniform"}
COLORS = {"lagex": "tab:red", "lats": "tab:blue", "ctns": "tab:green", "cge": "tab:olive", "ctns_wlag": "tab:purple",
          "cge_wlag": "tab:pink", "ptns": "tab:brown", "uniform": "tab:gray"}
UNKNOWN_CONSTRAINTS = ("lagex", "lats", "ctns_wlag", "cge_wlag", "ptns", "uniform")
# Where the arithmetic is meaningful (float64): means, constraint entries and sds within these ranges keep
# (mu_a - mu_b)^2 / sigma^2 <= 1e24 and its sum over 2^31 rounds finite, and the barrier solves' A pi - b far
# from overflow; mu = 1e300 squares to inf and every seed stops at once with a wrong answer.
PARAMETER_LIMIT = 1e6
WHY_PARAMETER = "the range where the float64 statistics are meaningful"
SIGMA_RANGE = (1e-6, 1e6)
# The solvers enumerate every basis of the polytope {pi in Delta_K : A pi <= b} (C(K + d, K - 1) of them, imdb
# 1365) in every round of every seed: this many at most.
MAX_BASES = 10**4


# ----------------------------------------------------------------------------- the learner's view
@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class LatsView:
    """What a policy may know: b, the sds it assumes, delta, r (arrays) and the run settings (static)."""

    b: np.ndarray  # [d]
    sigma: np.ndarray  # [K]
    delta: np.ndarray  # scalar
    r: np.ndarray  # scalar
    threshold: str = dataclasses.field(default="paper", metadata=dict(static=True))
    radius: str = dataclasses.field(default="paper", metadata=dict(static=True))
    tracking: str = dataclasses.field(default="C", metadata=dict(static=True))
    every: int = dataclasses.field(default=1, metadata=dict(static=True))
    restricted: bool = dataclasses.field(default=False, metadata=dict(static=True))

    def config(self, every: Optional[int] = None) -> Config:
        return Config(threshold=self.threshold, radius=self.radius, tracking=self.tracking,
                      every=int(every or self.every))


def _arrays(tree):
    """NumPy leaves -> arrays of the float dtype in force at trace time."""
    return jax.tree.map(lambda x: jnp.asarray(x), tree)


def _inner_view(view: LatsView, A=None) -> E.ExplorationKnown:
    return E.ExplorationKnown(b=jnp.asarray(view.b), sigma=jnp.asarray(view.sigma), delta=jnp.asarray(view.delta),
                              r=jnp.asarray(view.r), A=None if A is None else jnp.asarray(A))


def _adapt(policy: Policy, A=None) -> Policy:
    """The kernels' policy, called with the ``ExplorationKnown`` it expects (and the true A for CTnS/CGE)."""

    def v(known):
        return _inner_view(known, A)

    return Policy(init=lambda k: policy.init(v(k)),
                  select=lambda s, noise, t, k: policy.select(s, noise, t, v(k)),
                  update=lambda s, a, obs, k: policy.update(s, a, obs, v(k)),
                  stopped=lambda s, t, k: policy.stopped(s, t, v(k)),
                  recommend=lambda s, k: policy.recommend(s, v(k)))


def environment() -> Environment:
    env = E.exploration_env()
    return Environment(reset=lambda key, p: env.reset(key, _arrays(p)),
                       sample=lambda key, n, p: env.sample(key, n, _arrays(p)),
                       step=lambda z, s, a, p: env.step(z, s, a, _arrays(p)),
                       metrics=lambda s, p: env.metrics(s, _arrays(p)),
                       assess=lambda ans, p: env.assess(ans, _arrays(p)),
                       validate=env.validate._replace(holds=lambda a, p: env.validate.holds(a, _arrays(p))))


# ----------------------------------------------------------------------------- algorithms
def _lats(known, every: Optional[int] = None, stages: int = STAGES, newton_steps: int = NEWTON_STEPS):
    return _adapt(lats(known.config(every), restricted=known.restricted, stages=stages, newton_steps=newton_steps))


def _lagex(known, every: Optional[int] = None, eta: float = 1.0):
    return _adapt(lagex(known.config(every), eta=_positive(eta, "eta")))


def _ctns(known, oracle, every: Optional[int] = None, stages: int = STAGES, newton_steps: int = NEWTON_STEPS):
    return _adapt(ctns(known.config(every), restricted=known.restricted, stages=stages, newton_steps=newton_steps),
                  A=oracle)


def _cge(known, oracle, every: Optional[int] = None, eta: float = 1.0):
    return _adapt(cge(known.config(every), eta=_positive(eta, "eta")), A=oracle)


def _ctns_wlag(known, every: Optional[int] = None, stages: int = STAGES, newton_steps: int = NEWTON_STEPS):
    return _adapt(ctns_wlag(known.config(every), stages=stages, newton_steps=newton_steps))


def _cge_wlag(known, every: Optional[int] = None, eta: float = 1.0):
    return _adapt(cge_wlag(known.config(every), eta=_positive(eta, "eta")))


def _ptns(known, every: Optional[int] = None, stages: int = STAGES, newton_steps: int = NEWTON_STEPS):
    return _adapt(ptns(known.config(every), stages=stages, newton_steps=newton_steps))


def _uniform(known):
    return _adapt(uniform(known.config()))


def _positive(x, name):
    if not (isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {x!r}")
    return float(x)


ALGORITHMS: Registry[Algorithm] = Registry("algorithm")
for _name, _build, _oracle in [("lagex", _lagex, False), ("lats", _lats, False), ("ctns", _ctns, True),
                               ("cge", _cge, True), ("ctns_wlag", _ctns_wlag, False), ("cge_wlag", _cge_wlag, False),
                               ("ptns", _ptns, False), ("uniform", _uniform, False)]:
    ALGORITHMS.add(_name, Algorithm(_build, display=DISPLAY[_name], color=COLORS[_name], sees_oracle=_oracle))


# ----------------------------------------------------------------------------- schema and checks
@dataclass
class LatsExperiment(ExperimentSchema):
    env: List[str] = MISSING  # environments of spec section 8 (Table 1), or "custom" (mu, A, b below)
    delta: Optional[List[float]] = ranged(None, 0.0, 1.0, low_open=True, high_open=True)  # a sweep axis;
    #                                                    default: Table 1's delta of each environment
    mu3: Optional[List[float]] = ranged(None, -PARAMETER_LIMIT, PARAMETER_LIMIT, why=WHY_PARAMETER)  # Figure 2:
    #                                                    setup 1 with mu_3 swept (setup1-* environments only)
    r: float = ranged(0.0, 0.0, PARAMETER_LIMIT, label="slack of an r-good answer", why=WHY_PARAMETER)
    sigma: Optional[float] = ranged(None, *SIGMA_RANGE, label="reward noise sd", why=WHY_PARAMETER)  # replaces
    #                                                    the reward sd of every arm (true and assumed)
    threshold: str = "paper"  # paper | gk16 | code | theory (spec section 5)
    radius: str = "paper"  # confidence radius f(t, delta): paper | bound
    tracking: str = "C"  # C | D
    restricted: bool = False  # LATS / CTnS allocation over F_hat_t instead of Delta_K
    every: int = ranged(1, 1, MAX_HORIZON, why=WHY_ROUNDS)  # lazy updates: the allocation every `every` rounds
    mu: Optional[List[float]] = ranged(None, -PARAMETER_LIMIT, PARAMETER_LIMIT, why=WHY_PARAMETER)  # "custom":
    #                                                    arm means
    A: Optional[List[List[float]]] = ranged(None, -PARAMETER_LIMIT, PARAMETER_LIMIT, why=WHY_PARAMETER)  # "custom":
    #                                                    constraint matrix [d, K]
    b: Optional[List[float]] = ranged(None, -PARAMETER_LIMIT, PARAMETER_LIMIT, why=WHY_PARAMETER)  # "custom": [d]
    custom_delta: float = ranged(0.1, 0.0, 1.0, low_open=True, high_open=True)  # "custom": delta when
    #                                                    experiment.delta is not given


def _envs(spec) -> list[str]:
    envs = [str(e) for e in as_list(spec.env)]
    if not envs:
        raise ConfigError(f"experiment.env lists no environment; valid choices: {', '.join(ENV_CHOICES)}")
    for e in envs:
        if e not in ENV_CHOICES:
            raise ConfigError(f"unknown environment {e!r}; valid choices: {', '.join(ENV_CHOICES)}")
    return dedupe(envs, "experiment.env")


def _custom_arrays(spec):
    if spec.mu is None or spec.A is None or spec.b is None:
        raise ConfigError("environment 'custom' needs experiment.mu, experiment.A and experiment.b")
    mu = np.array([finite_float(m, "experiment.mu") for m in spec.mu])
    if mu.size < 2:
        raise ConfigError(f"experiment.mu needs at least 2 arms, got {mu.size}")
    rows = [list(r) if isinstance(r, (list, tuple)) or hasattr(r, "__len__") else [r] for r in spec.A]
    K = mu.size
    for i, row in enumerate(rows):
        if len(row) != K:
            raise ConfigError(f"constraint matrix experiment.A has shape ({len(rows)}, {len(row)}) at row {i}, "
                              f"expected ({len(rows)}, {K}): one column per arm (K = {K})")
    A = np.array([[finite_float(x, "experiment.A") for x in row] for row in rows]).reshape(len(rows), K)
    b = np.array([finite_float(x, "experiment.b") for x in spec.b])
    if A.shape[0] < 1:
        raise ConfigError("experiment.A needs at least one constraint row")
    if b.size != A.shape[0]:
        raise ConfigError(f"experiment.b has {b.size} entries but experiment.A has {A.shape[0]} rows")
    return mu, np.ones(K), A, b, spec.custom_delta, None


def _deltas(spec) -> Optional[list[float]]:
    if spec.delta is None:
        return None
    if not as_list(spec.delta):
        raise ConfigError("experiment.delta is empty; give values in (0, 1), or null for each environment's own")
    out = []
    for d in as_list(spec.delta):
        if not 0 < finite_float(d, "experiment.delta") < 1:
            raise ConfigError(f"experiment.delta must be in (0, 1), got {d!r}")
        out.append(float(d))
    return dedupe(out, "experiment.delta")


def _base(spec, name):
    """(mu, sd, A, b, delta, sigma_known) of one environment, with the experiment's overrides."""
    mu, sd, A, b, delta, sigma_known = _custom_arrays(spec) if name == CUSTOM else E._spec(name)
    if spec.sigma is not None:
        sd = np.full(len(mu), float(spec.sigma))
        sigma_known = None
    return np.asarray(mu, float), np.asarray(sd, float), np.asarray(A, float), np.asarray(b, float), delta, \
        sigma_known


def check(spec: LatsExperiment) -> None:
    """Beyond the schema's ranges (delta, r, sigma, every, mu3, mu, A, b): names, shapes and feasibility."""
    envs = _envs(spec)
    if spec.threshold not in THRESHOLDS:
        raise ConfigError(f"unknown threshold {spec.threshold!r}; valid choices: {', '.join(THRESHOLDS)}")
    if spec.tracking not in TRACKING:
        raise ConfigError(f"unknown tracking rule {spec.tracking!r}; valid choices: {', '.join(TRACKING)}")
    if spec.radius not in RADII:
        raise ConfigError(f"unknown confidence radius {spec.radius!r}; valid choices: {', '.join(RADII)}")
    if spec.mu3 is not None:
        bad = [e for e in envs if not e.startswith("setup1")]
        if bad:
            raise ConfigError(f"experiment.mu3 sweeps setup 1 only; drop it or use setup1-hard, setup1-easy, "
                              f"setup1-printed (got {', '.join(bad)})")
    for name in envs:
        mu, sd, A, b, _, _ = _base(spec, name)
        bases = math.comb(len(mu) + len(b), len(mu) - 1)
        if bases > MAX_BASES:
            raise ConfigError(f"environment {name!r}: K = {len(mu)} arms and d = {len(b)} constraints give {bases:,} "
                              f"vertex bases C(K + d, K - 1); the solvers enumerate them every round: at most "
                              f"{MAX_BASES:,}")
        for m3 in (as_list(spec.mu3) if spec.mu3 is not None else [None]):
            if m3 is not None:
                mu = mu.copy()
                mu[2] = float(m3)
            try:
                E.optimum(mu, A, b)
            except ValueError:
                raise ConfigError(f"environment {name!r}: no feasible policy (the true feasible set "
                                  f"{{pi in simplex : A pi <= b}} is empty)") from None


# ----------------------------------------------------------------------------- problems
def kl_bernoulli(p: float, q: float) -> float:
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def _lower_bounds(mu, sd, A, b, r, restricted):
    """(T_F, T_bai); an infinite one (two optimal answers, e.g. two best arms for BAI at mu_3 = 1.5 in setup 1)
    is stored as -1 (the results refuse non-finite values; the analysis treats <= 0 as missing)."""
    T_F, _ = characteristic_time(mu, A, b, sigma=sd, restricted=restricted, r=r)
    K = len(mu)
    T_bai, _ = characteristic_time(mu, np.zeros((1, K)), np.ones(1), sigma=sd, r=r)
    return tuple(float(T) if math.isfinite(T) else INFINITE for T in (T_F, T_bai))


def make_problem(name, mu, sd, A, b, delta, sigma_known, r, restricted, settings, label, extra=None):
    pi = E.optimum(mu, A, b)
    T_F, T_bai = _lower_bounds(mu, sd, A, b, r, restricted)
    kl = kl_bernoulli(delta, 1 - delta)
    scaled = lambda T, f: T * f if T >= 0 else INFINITE  # noqa: E731
    f64 = lambda x: np.asarray(x, np.float64)  # noqa: E731
    params = E.ExplorationParams(mu=f64(mu), sd=f64(sd), A=f64(A), b=f64(b), pi_star=f64(pi),
                                 value_star=f64(mu @ pi), r=f64(r))
    sigma = sd if sigma_known is None else np.asarray(sigma_known, float)
    view = LatsView(b=f64(b), sigma=f64(sigma), delta=f64(delta), r=f64(r), **settings)
    columns = {"environment": name, "delta": float(delta), "K": len(mu), "d": len(b), "r": float(r),
               "mu3": float(mu[2]) if len(mu) > 2 else float("nan"), "T_F": T_F, "T_bai": T_bai,
               "lower_bound": scaled(T_F, kl), "lower_bound_bai": scaled(T_bai, kl),
               "lower_bound_ln": scaled(T_F, math.log(1 / (2.4 * delta))), **(extra or {})}
    return Problem(label=label, columns=columns, known=view, env=environment(), params=params, oracle=f64(A),
                   static={"mu": mu, "sd": sd, "A": A, "b": b, "pi_star": pi})


def problems(spec: LatsExperiment) -> list[Problem]:
    settings = dict(threshold=spec.threshold, radius=spec.radius, tracking=spec.tracking,
                    every=int(spec.every), restricted=bool(spec.restricted))
    deltas = _deltas(spec)
    mu3s = [float(m) for m in as_list(spec.mu3)] if spec.mu3 is not None else [None]
    mu3s = dedupe(mu3s, "experiment.mu3")
    out = []
    for name in _envs(spec):
        mu, sd, A, b, delta0, sigma_known = _base(spec, name)
        for m3 in mu3s:
            m = mu.copy()
            if m3 is not None:
                m[2] = m3
            for delta in (deltas or [delta0]):
                label = name + (f" mu3={m3:g}" if m3 is not None else "") + \
                    (f" delta={delta:g}" if deltas is not None and len(deltas) > 1 else "")
                out.append(make_problem(name, m, sd, A, b, delta, sigma_known, float(spec.r), spec.restricted,
                                        settings, label))
    return out


# ----------------------------------------------------------------------------- violation counters
def wrap(spec, problem: Problem, sim: Simulation) -> Simulation:
    """Count, on the metrics side, the rounds where pi_t (a) and omega_t (b) violate the true constraints.

    The counters live next to the simulation's carry; they read the policy state's pi and omega after
    each round and the true A of the environment (never passed to the policy).
    """
    A_np, b_np = problem.params.A, problem.params.b

    def flags(carry):
        pstate = carry[0]
        if not isinstance(pstate, ExplorerState):
            return jnp.int32(0), jnp.int32(0)
        A, b = jnp.asarray(A_np), jnp.asarray(b_np)
        tol = VIOLATION_TOL * (1.0 + jnp.abs(b))
        pi_bad = jnp.any(A @ pstate.pi > b + tol)
        om_bad = jnp.any(A @ pstate.omega > b + tol)
        return pi_bad.astype(jnp.int32), om_bad.astype(jnp.int32)

    def update(counts, inner):
        fp, fa = flags(inner)
        return counts[0] + fp, counts[1] + fa

    def metrics(counts, inner):
        out = {"violations_policy": counts[0], "violations_allocation": counts[1]}
        pstate = inner[0]
        if isinstance(pstate, ExplorerState):
            out["shift"] = pstate.shift
            out["z"] = jnp.where(jnp.isfinite(pstate.z), pstate.z, -1.0)
            K = pstate.pi.shape[0]
            if K <= 3:  # the Figure 1 example: the recommended policy itself
                for a in range(K):
                    out[f"pi_hat_{a}"] = pstate.pi[a]
        return out

    return beside(sim, lambda: (jnp.int32(0), jnp.int32(0)), update, metrics)  # (its stopping rule and checks)


# ----------------------------------------------------------------------------- registration
def example():
    """A tiny problem for the contract tests: the Figure 1 instance (K = 3, d = 1) with unequal true sds
    (the algorithms assume sd 1), so that the learner's view shares no array with the oracle (b has one
    entry; the view's b and sds are legitimately known)."""
    mu, _, A, b, delta, _ = E._spec("figure1")
    sd = np.array([1.0, 0.8, 0.9])
    # every = 4: the lazy path (the solver skipped for the whole batch between refreshes) is under contract too
    settings = dict(threshold="paper", radius="paper", tracking="C", every=4, restricted=False)
    prob = make_problem("figure1", mu, sd, A, b, delta, np.ones(3), 0.0, False, settings, "figure1 (example)")
    small = {a: {"stages": 3, "newton_steps": 4} for a in ("lats", "ctns", "ctns_wlag", "ptns")}
    return prob, small


if "lats" not in PAPERS:
    PAPERS.add("lats", Paper(
        name="lats",
        title="LATS / LAGEX: pure exploration under unknown linear constraints (Das & Basu)",
        schema=LatsExperiment,
        algorithms=ALGORITHMS,
        problems=problems,
        mode="stopping",
        check=check,
        wrap=wrap,
        analysis="experiments.lats.analysis:report",
        id_columns=("environment", "delta", "K", "d", "r", "mu3", "T_F", "T_bai", "lower_bound", "lower_bound_bai",
                    "lower_bound_ln"),
        reference="lagex",
        x64=True,
        example=example,
    ))
