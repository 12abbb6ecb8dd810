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
import functools
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

import jax
import jax.numpy as jnp
import numpy as np
from omegaconf import MISSING

from bandits.core.experiment import (PAPERS, Algorithm, ConfigError, ExperimentSchema, Paper, Problem, as_list,
                                     dedupe, finite_float)
from bandits.core.ranges import MAX_HORIZON, WHY_ROUNDS, ranged
from bandits.core.registry import Registry
from bandits.core.types import Environment, Policy, Simulation, beside

from . import environments as E, gaussian, polytope, thresholds
from .cge import cge
from .characteristic_time import characteristic_time
from .ctns import ctns
from .lagex import lagex
from .lats import NEWTON_STEPS, STAGES, lats
from .machinery import Config, ExplorerState, Rule, estimates, explorer
from .ptns import ptns
from .stopping import RULES as STOPPING, threshold_name
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
    stopping: str = dataclasses.field(default="paper", metadata=dict(static=True))
    stopping_threshold: Optional[str] = dataclasses.field(default=None, metadata=dict(static=True))

    def config(self, every: Optional[int] = None) -> Config:
        return Config(threshold=self.threshold, radius=self.radius, tracking=self.tracking,
                      every=int(every or self.every), stopping=self.stopping,
                      stopping_threshold=self.stopping_threshold)


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


def explorer_algorithm(build_rule: Callable[..., Rule], display: Optional[str] = None, color: Optional[str] = None,
                       uses_oracle: bool = False) -> Algorithm:
    """A sampling rule as an algorithm of this paper, to register with ``ALGORITHMS.add(name, ...)``.

    Args:
      build_rule: ``build_rule(known, **hyperparameters) -> machinery.Rule``. ``known`` is the learner's view
        (``LatsView``: b, the assumed sds, delta, r, the run settings); the rule's ``step(state, ctx)`` receives a
        ``machinery.Context`` each round (counts, mu_hat, A_hat, the shift, the vertices of F_hat_n, pi_n, ...)
        and returns (omega, state). Its keyword arguments are the algorithm's hyperparameters
        (``experiment.hyperparameters.<name>.<key>``).
      display, color: how figures and tables show it.
      uses_oracle: the rule is a known-constraint baseline (like CTnS and CGE): the shared loop then uses the
        true A instead of A_hat, with no shift.
    Returns:
      an ``Algorithm`` whose policy is the shared loop (``machinery.explorer``) around the rule: estimates, F_hat_n,
      C- or D-tracking and the stopping rule of ``experiment.stopping``, all as for the paper's algorithms.
    """
    def build(known, *oracle, **hyperparameters):
        cfg = known.config()._replace(known_constraints=uses_oracle)
        return _adapt(explorer(build_rule(known, **hyperparameters), cfg), *oracle)

    params = list(inspect.signature(build_rule).parameters.values())
    lead = [inspect.Parameter("known", inspect.Parameter.POSITIONAL_ONLY)] + \
        ([inspect.Parameter("oracle", inspect.Parameter.POSITIONAL_ONLY)] if uses_oracle else [])
    build.__signature__ = inspect.Signature(lead + params[1:])  # the hyperparameters the CLI checks
    return Algorithm(build, display=display, color=color, sees_oracle=uses_oracle)


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
    # slack of an r-good answer: a number, or a mapping {stopping rule: slack} (a rule it does not name: 0)
    r: Any = ranged(0.0, 0.0, PARAMETER_LIMIT, kind="float", label="slack of an r-good answer", why=WHY_PARAMETER)
    # stopping rule(s) (spec section 11; a list is a sweep axis): paper | plugin | joint_glr | pessimistic_optimistic
    stopping: Any = "paper"
    # the threshold of the rules that have a choice (joint_glr: paper | joint); null: each rule's first; a list sweeps
    stopping_threshold: Any = None
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


def _names(value, key: str, what: str, choices) -> list[str]:
    """The names ``value`` lists (one name or a list), each one of ``choices``, once each; one line otherwise."""
    names = [str(x) for x in as_list(value)]
    if not names:
        raise ConfigError(f"{key} lists no {what}; valid choices: {', '.join(choices)}")
    for name in names:
        if name not in choices:
            raise ConfigError(f"unknown {what} {name!r}; valid choices: {', '.join(choices)}")
    return dedupe(names, key)


def _envs(spec) -> list[str]:
    return _names(spec.env, "experiment.env", "environment", ENV_CHOICES)


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


NO_SLACK = 0.0  # the slack of a rule that a mapping experiment.r does not name


def _choices(rule: str) -> str:
    spec = STOPPING[rule]
    return ", ".join(spec.thresholds) if spec.thresholds else "none (experiment.threshold's beta)"


def _stopping(spec) -> list[tuple[str, Optional[str]]]:
    """The (stopping rule, threshold choice or None: the rule's default) pairs the experiment runs."""
    rules = _names(spec.stopping, "experiment.stopping", "stopping rule", STOPPING)
    if spec.stopping_threshold is None:
        return [(rule, None) for rule in rules]
    chosen = dedupe([str(x) for x in as_list(spec.stopping_threshold)], "experiment.stopping_threshold")
    for t in chosen:
        if not any(t in STOPPING[rule].thresholds for rule in rules):
            raise ConfigError(f"experiment.stopping_threshold={t!r} is not a threshold of the stopping rule(s) "
                              f"{', '.join(rules)}; valid choices: "
                              + "; ".join(f"{rule}: {_choices(rule)}" for rule in rules))
    out = []
    for rule in rules:
        choices = STOPPING[rule].thresholds
        if len(choices) > 1:  # a rule with a choice runs once per listed threshold, each must be one of its own
            bad = [t for t in chosen if t not in choices]
            if bad:
                raise ConfigError(f"stopping rule {rule!r} has no threshold {bad[0]!r}; valid choices: "
                                  f"{', '.join(choices)}")
            out += [(rule, t) for t in chosen]
        else:
            out.append((rule, None))
    return out


def _slack(spec, rule: str) -> float:
    """The slack r of the runs of ``rule`` (experiment.r: a number, or a mapping rule -> number)."""
    if isinstance(spec.r, Mapping):
        return float(spec.r[rule]) if rule in spec.r else NO_SLACK
    return float(spec.r)


def _check_slack(spec, pairs) -> None:
    what = "experiment.r (slack of an r-good answer)"
    if isinstance(spec.r, Mapping):
        for rule, value in spec.r.items():
            if rule not in STOPPING:
                raise ConfigError(f"experiment.r names unknown stopping rule {rule!r}; valid choices: "
                                  f"{', '.join(STOPPING)}")
            finite_float(value, f"experiment.r.{rule}", 0.0)
    else:
        finite_float(spec.r, what, 0.0)
    for rule, _ in pairs:
        if STOPPING[rule].needs_r and not _slack(spec, rule) > 0:
            raise ConfigError(f"stopping rule {rule!r} needs a slack r > 0: with r = 0 it cannot stop (an "
                              f"optimistic rival within the confidence boxes always remains); set e.g. "
                              f"experiment.r=0.05 or 'experiment.r={{{rule}: 0.05}}'")


def check(spec: LatsExperiment) -> None:
    """Beyond the schema's ranges (delta, r, sigma, every, mu3, mu, A, b): names, shapes and feasibility."""
    envs = _envs(spec)
    _check_slack(spec, _stopping(spec))
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


def _finite(T: float) -> float:
    return float(T) if math.isfinite(T) else INFINITE


def _unknown_bound(mu, sd, A, b) -> float:
    """T(mu, A) with A unknown (spec section 11; +inf on degenerate optima), once per instance and process."""
    arrays = [np.asarray(x, np.float64) for x in (mu, sd, A, b)]
    return _unknown_bound_cached(tuple((x.shape, x.tobytes()) for x in arrays))


@functools.lru_cache(maxsize=64)
def _unknown_bound_cached(key) -> float:
    mu, sd, A, b = (np.frombuffer(data).reshape(shape) for shape, data in key)
    T, _ = characteristic_time(mu, A, b, sigma=sd, unknown_constraints=True)
    return T


def _lower_bounds(mu, sd, A, b, r, restricted):
    """(T_F, T_bai, T_unknown): known constraints, no constraint, unknown constraints (the optimal basis; r does not
    enter). An infinite one (two optimal answers, e.g. two best arms for BAI at mu_3 = 1.5 in setup 1; a degenerate
    pi* with A unknown) is stored as -1 (the results refuse non-finite values; the analysis treats <= 0 as
    missing or infinite, per column)."""
    T_F, _ = characteristic_time(mu, A, b, sigma=sd, restricted=restricted, r=r)
    K = len(mu)
    T_bai, _ = characteristic_time(mu, np.zeros((1, K)), np.ones(1), sigma=sd, r=r)
    return tuple(_finite(T) for T in (T_F, T_bai, _unknown_bound(mu, sd, A, b)))


def make_problem(name, mu, sd, A, b, delta, sigma_known, r, restricted, settings, label, extra=None):
    pi = E.optimum(mu, A, b)
    T_F, T_bai, T_unknown = _lower_bounds(mu, sd, A, b, r, restricted)
    kl = kl_bernoulli(delta, 1 - delta)
    scaled = lambda T, f: T * f if T >= 0 else INFINITE  # noqa: E731
    f64 = lambda x: np.asarray(x, np.float64)  # noqa: E731
    params = E.ExplorationParams(mu=f64(mu), sd=f64(sd), A=f64(A), b=f64(b), pi_star=f64(pi),
                                 value_star=f64(mu @ pi), r=f64(r))
    sigma = sd if sigma_known is None else np.asarray(sigma_known, float)
    view = LatsView(b=f64(b), sigma=f64(sigma), delta=f64(delta), r=f64(r), **settings)
    columns = {"environment": name, "delta": float(delta), "K": len(mu), "d": len(b), "r": float(r),
               "mu3": float(mu[2]) if len(mu) > 2 else float("nan"),
               "stopping": view.stopping,
               "threshold": threshold_name(view.stopping, view.stopping_threshold, view.threshold),
               "T_F": T_F, "T_bai": T_bai, "T_unknown": T_unknown,
               "lower_bound": scaled(T_F, kl), "lower_bound_bai": scaled(T_bai, kl),
               "lower_bound_unknown": scaled(T_unknown, kl),
               "lower_bound_ln": scaled(T_F, math.log(1 / (2.4 * delta))), **(extra or {})}
    return Problem(label=label, columns=columns, known=view, env=environment(), params=params, oracle=f64(A),
                   static={"mu": mu, "sd": sd, "A": A, "b": b, "pi_star": pi})


def problems(spec: LatsExperiment) -> list[Problem]:
    settings = dict(threshold=spec.threshold, radius=spec.radius, tracking=spec.tracking,
                    every=int(spec.every), restricted=bool(spec.restricted))
    deltas = _deltas(spec)
    mu3s = [float(m) for m in as_list(spec.mu3)] if spec.mu3 is not None else [None]
    mu3s = dedupe(mu3s, "experiment.mu3")
    rules = _stopping(spec)
    out = []
    for name in _envs(spec):
        mu, sd, A, b, delta0, sigma_known = _base(spec, name)
        for m3 in mu3s:
            m = mu.copy()
            if m3 is not None:
                m[2] = m3
            for delta in (deltas or [delta0]):
                for rule, choice in rules:
                    label = name + (f" mu3={m3:g}" if m3 is not None else "") + \
                        (f" delta={delta:g}" if deltas is not None and len(deltas) > 1 else "") + \
                        (f" {rule}" + (f"/{choice}" if choice else "") if len(rules) > 1 else "")
                    out.append(make_problem(name, m, sd, A, b, delta, sigma_known, _slack(spec, rule),
                                            spec.restricted, dict(settings, stopping=rule, stopping_threshold=choice),
                                            label))
    return out


# ----------------------------------------------------------------------------- violation counters
def _true_vertices(A, b) -> np.ndarray:
    """The vertices of the true polytope {pi in Delta_K : A pi <= b} (metrics side), float64 [M, K]."""
    with jax.enable_x64(True):
        verts = polytope.vertices(jnp.asarray(A, jnp.float64), jnp.asarray(b, jnp.float64), 0.0)
        return np.asarray(verts.points)[np.asarray(verts.feasible)]


def wrap(spec, problem: Problem, sim: Simulation) -> Simulation:
    """Metrics computed beside the learner, from its state and the true A (never passed to the policy):

    * the rounds where pi_t, the stopping rule's current recommendation, (a) and the allocation omega_t (b)
      violate the true constraints;
    * ``tau_known_A``: the first round at which the paper's GLR with the *true* polytope (Theorem 5's closed form
      over the true vertices, the learner's mu_hat, N, assumed sds and experiment.threshold's beta) exceeded its
      threshold, on the same sample path: what the same sampling rule would have stopped at had its stopping rule
      been given A. It is known only up to the learner's own stop: ``known_A_stopped`` = 0 means it had not fired
      by tau (then tau_known_A = tau, a lower bound).
    """
    A_np, b_np = problem.params.A, problem.params.b
    view = problem.known
    V_np = _true_vertices(A_np, b_np)
    d = len(b_np)

    def flags(carry):
        pstate = carry[0]
        if not isinstance(pstate, ExplorerState):
            return jnp.int32(0), jnp.int32(0)
        A, b = jnp.asarray(A_np), jnp.asarray(b_np)
        tol = VIOLATION_TOL * (1.0 + jnp.abs(b))
        pi_bad = jnp.any(A @ pstate.stop.last.policy > b + tol)  # the stopping rule's current recommendation
        om_bad = jnp.any(A @ pstate.omega > b + tol)
        return pi_bad.astype(jnp.int32), om_bad.astype(jnp.int32)

    def known_A_glr(pstate):
        """(Z with the true polytope, beta) after the learner's round."""
        mu_hat, _ = estimates(pstate)
        V = jnp.asarray(V_np, mu_hat.dtype)
        best = V[jnp.argmax(V @ mu_hat)]
        alt = jnp.max(jnp.abs(V - best[None, :]), axis=-1) > 1e-9
        sigma2 = jnp.asarray(view.sigma, mu_hat.dtype) ** 2
        z = gaussian.glr(mu_hat, sigma2, best, V, alt, pstate.counts, jnp.asarray(view.r, mu_hat.dtype))
        z = jnp.where(alt.any(), z, jnp.inf)
        beta = thresholds.threshold(view.threshold, pstate.n, jnp.asarray(view.delta, mu_hat.dtype), pstate.counts, d)
        return z, beta

    def update(extra, inner):
        vp, va, fired, tau_A = extra
        fp, fa = flags(inner)
        pstate = inner[0]
        if isinstance(pstate, ExplorerState):
            z, beta = known_A_glr(pstate)
            now = ~fired & (pstate.n >= pstate.counts.shape[0]) & (z > beta)
            fired, tau_A = fired | now, jnp.where(now, pstate.n, tau_A)
        return vp + fp, va + fa, fired, tau_A

    def metrics(extra, inner):
        vp, va, fired, tau_A = extra
        out = {"violations_policy": vp, "violations_allocation": va}
        pstate = inner[0]
        if isinstance(pstate, ExplorerState):
            out["shift"] = pstate.shift
            z = pstate.stop.last.z  # the stopping rule's statistic at its last check
            out["z"] = jnp.where(jnp.isfinite(z), z, -1.0)
            out["tau_known_A"] = jnp.where(fired, tau_A, pstate.n)
            out["known_A_stopped"] = fired.astype(jnp.int32)
            policy = pstate.stop.last.policy
            K = policy.shape[0]
            if K <= 3:  # the Figure 1 example: the recommended policy itself
                for a in range(K):
                    out[f"pi_hat_{a}"] = policy[a]
        return out

    zero = (jnp.int32(0), jnp.int32(0), jnp.bool_(False), jnp.int32(0))  # violations (a), (b); known-A GLR fired, when
    return beside(sim, lambda: zero, update, metrics)  # (its stopping rule and checks)


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
        id_columns=("environment", "delta", "K", "d", "r", "mu3", "stopping", "threshold", "T_F", "T_bai",
                    "T_unknown", "lower_bound", "lower_bound_bai", "lower_bound_unknown", "lower_bound_ln"),
        reference="lagex",
        x64=True,
        example=example,
    ))
