"""The online-submodular paper in the suite: schema, problems, algorithms, registration.

Harvey, Liaw, Soma, *Improved Algorithms for Online Submodular Maximization via First-order Regret
Bounds* (NeurIPS 2020); the suite's reconstruction is ``shared/specs/submodular.md``.

A problem is one (family, adversary, n, k, q, curvature) instance: a base function of the family drawn
from ``experiment.instance_seed``, the adversary's parameters, and the comparator S* (the maximiser of the
expected sum Σ_t E f_t over the horizon, exact for n <= ``experiment.exact_up_to``, else best found; see
``instances``). The learner's view (``SubmodularKnown``) is the ground-set size, the matroid, the horizon
and the structure (shapes and dtypes, no values) of the revealed functions; it sees f_t only as the
environment's observation after playing S_t (full information).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from omegaconf import MISSING

from bandits.core.experiment import (PAPERS, Algorithm, ConfigError, ExperimentSchema, Paper, Problem, as_list,
                                     dedupe, finite_float, strict_int)
from bandits.core.ranges import MAX_HORIZON, UINT32_MAX, WHY_ROUNDS, ranged
from bandits.core.registry import Registry
from bandits.core.types import Policy

from . import comparators as cmp
from . import functions as fn
from .baselines import (meta_frank_wolfe, meta_frank_wolfe_calls, online_greedy, online_greedy_calls, random_base,
                        random_set, roughgarden_wang)
from .ftl import ftl_double_greedy, ftl_double_greedy_calls, ftl_greedy, ftl_greedy_calls
from .instances import (ADVERSARIES, FAMILIES, KWARG_RANGES, MATROIDS, Act, AdvParams, Scaled, SubParams,
                        act_check, environment, mean_keep, partition_blocks)
from .monotone_policy import online_continuous_greedy
from .monotone_policy import oracle_calls_per_round as ocg_calls
from .usm_policy import online_double_greedy
from .usm_policy import oracle_calls_per_round as odg_calls


def _warn(msg: str) -> None:
    print(msg, file=sys.stderr)


# Every round evaluates f_t on n-element masks for every seed; the comparator and the range probes are O(n^2).
MAX_ELEMENTS = 1024
WHY_ELEMENTS = "every round evaluates f_t on n-element sets for every seed"


# ----------------------------------------------------------------------------- schema
@dataclass
class SubmodularExperiment(ExperimentSchema):
    family: Any = MISSING  # a family name or a list (a sweep axis): see instances.FAMILIES
    family_kwargs: Dict[str, Any] = field(default_factory=dict)  # the family's own parameters (items, p, ...)
    scale: float = ranged(1.0, 0.0, 1e6, low_open=True)  # f_t = scale * a_t * g(.; w_t); values must stay in
    #                                                      [0, 1] (checked, never clipped)
    n: Any = ranged(MISSING, 1, MAX_ELEMENTS, kind="int", why=WHY_ELEMENTS)  # ground-set size (or a list: a sweep)
    matroid: str = MISSING  # uniform | partition | none (USM)
    k: Any = ranged(1, 1, MAX_ELEMENTS, kind="int", why=WHY_ELEMENTS)  # uniform matroid rank (or a list: a sweep)
    caps: Optional[List[int]] = ranged(None, 1, MAX_ELEMENTS, why=WHY_ELEMENTS)  # partition: capacity of each
    #                                                      (contiguous, equal-size) block
    adversary: Any = "iid"  # an adversary name or a list: see instances.ADVERSARIES
    keep: float = ranged(0.5, 0.0, 1.0, low_open=True)  # probability that a component of f is kept in a round
    amplitude: float = ranged(0.4, 0.0, 1.0)  # switching / drift: keep probabilities move within keep ± amplitude
    period: int = ranged(1000, 1, MAX_HORIZON, why=WHY_ROUNDS)  # switching: rounds per phase; drift: per cycle
    q: Any = ranged(1.0, 0.0, 1.0, low_open=True, kind="float")  # sparse adversary: P(f_t is not 0) (a sweep axis)
    curvature: Any = ranged(1.0, 0.0, 1.0, kind="float")  # concave_modular's curvature parameter c (a sweep axis)
    instance_seed: int = ranged(0, 0, UINT32_MAX, why="the random key is built from 32 bits")  # the base instance
    #                                                      and the adversary's fixed parameters
    exact_up_to: int = ranged(20, 0, cmp.BRUTE_FORCE_MAX_N, why="brute force enumerates 2^n sets")  # brute-force
    #                                                      comparator up to this n (else best found)


class SubmodularKnown(NamedTuple):
    """What the learner knows: sizes, the matroid (static tuples) and the horizon. Never f or S*."""

    n: int
    blocks: tuple  # block of each element (all 0: uniform matroid; () for USM)
    caps: tuple  # capacities (() for USM)
    horizon: int
    monotone: bool
    observation: Any = None  # the structure of the revealed f_t: a pytree of jax.ShapeDtypeStruct (shapes and
    #                          dtypes only, no values), so follow-the-leader can size its running sum Σ_s f_s


# ----------------------------------------------------------------------------- algorithms
def _float():
    """The run's float dtype: float32, or float64 under ``runner.x64=true`` (everything below follows it)."""
    return jnp.result_type(float)


def _counted(policy: Policy, calls: float) -> Policy:
    """Play ``Act(mask, calls, inner)`` so the environment counts oracle calls; unwrap for the policy's update."""

    def select(state, noise, t, known):
        inner = policy.select(state, noise, t, known)
        mask = inner if isinstance(inner, jax.Array) else inner.mask
        return Act(mask=mask, calls=jnp.asarray(calls, _float()), inner=inner)

    def update(state, act, f, known):
        return policy.update(state, act.inner, f, known)

    return policy._replace(select=select, update=update)


def _check_L(L):
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L (number of learners) must be an integer >= 1, got {L!r}")


def _ocg(step: str, decompose: bool, name: str):
    def build(known: SubmodularKnown, L: int = 20, gradient_samples: Optional[int] = None):
        _check_L(L)
        if gradient_samples is not None and (isinstance(gradient_samples, bool) or int(gradient_samples) < 1):
            raise ValueError(f"gradient_samples must be null (exact) or an integer >= 1, got {gradient_samples!r}")
        pol = online_continuous_greedy(np.asarray(known.blocks), np.asarray(known.caps), L=int(L), step=step,
                                       horizon=known.horizon, decompose=decompose,
                                       gradient_samples=gradient_samples, dtype=_float())
        return _counted(pol, ocg_calls(known.n, int(L), decompose, gradient_samples))

    return build


def _build_online_greedy(known: SubmodularKnown, eta: Optional[float] = None, share: float = 0.0):
    return _counted(online_greedy(np.asarray(known.blocks), np.asarray(known.caps), known.horizon, eta=eta,
                                  share=share, dtype=_float()),
                    online_greedy_calls(known.n, int(sum(known.caps))))


def _build_meta_frank_wolfe(known: SubmodularKnown, L: int = 20, gradient_samples: Optional[int] = None):
    _check_L(L)
    pol = meta_frank_wolfe(np.asarray(known.blocks), np.asarray(known.caps), known.horizon, L=int(L),
                           gradient_samples=gradient_samples, dtype=_float())
    return _counted(pol, meta_frank_wolfe_calls(known.n, int(L), gradient_samples))


def _observation(known: SubmodularKnown):
    if known.observation is None:
        raise ValueError("follow-the-leader needs the structure of the revealed functions (known.observation)")
    return known.observation


def _build_ftl_greedy(known: SubmodularKnown):
    pol = ftl_greedy(np.asarray(known.blocks), np.asarray(known.caps), _observation(known))
    return _counted(pol, ftl_greedy_calls(known.n, int(sum(known.caps))))


def _build_random_base(known: SubmodularKnown):
    return _counted(random_base(np.asarray(known.blocks), np.asarray(known.caps), dtype=_float()), 0)


def _odg(step: str, name: str):
    def build(known: SubmodularKnown):
        return _counted(online_double_greedy(known.n, step=step, horizon=known.horizon, dtype=_float()),
                        odg_calls(known.n))

    return build


def _build_random_set(known: SubmodularKnown):
    return _counted(random_set(known.n, dtype=_float()), 0)


def _build_roughgarden_wang(known: SubmodularKnown):
    return _counted(roughgarden_wang(known.n, known.horizon, dtype=_float()), odg_calls(known.n))


def _build_ftl_double_greedy(known: SubmodularKnown):
    return _counted(ftl_double_greedy(known.n, _observation(known)), ftl_double_greedy_calls(known.n))


ALGORITHMS: Registry[Algorithm] = Registry("algorithm")
SETTING: Dict[str, bool] = {}  # algorithm -> monotone (True) or USM (False)


def _add(name, build, display, color, monotone):
    ALGORITHMS.add(name, Algorithm(build, display=display, color=color))
    SETTING[name] = monotone


_add("ocg", _ocg("first_order", True, "ocg"), "Alg. 6 (first-order, decomposition)", "tab:blue", True)
_add("ocg_fixed", _ocg("fixed", True, "ocg_fixed"), "Alg. 6, fixed step", "tab:orange", True)
_add("ocg_no_decomposition", _ocg("first_order", False, "ocg_no_decomposition"), "Alg. 6, no decomposition",
     "tab:green", True)
_add("online_greedy", _build_online_greedy, "online greedy (per-slot Hedge)", "tab:red", True)
_add("random_base", _build_random_base, "random base", "tab:gray", True)
_add("odg", _odg("first_order", "odg"), "online double greedy (Blackwell, first-order)", "tab:purple", False)
_add("odg_fixed", _odg("fixed", "odg_fixed"), "online double greedy, fixed step", "tab:brown", False)
_add("random_set", _build_random_set, "random set", "tab:olive", False)
_add("meta_frank_wolfe", _build_meta_frank_wolfe, "Meta-Frank-Wolfe (fixed step)", "tab:pink", True)
_add("ftl_greedy", _build_ftl_greedy, "follow-the-leader greedy", "tab:cyan", True)
_add("roughgarden_wang", _build_roughgarden_wang, "Roughgarden–Wang (2-experts Hedge)", "black", False)
_add("ftl_double_greedy", _build_ftl_double_greedy, "follow-the-leader double greedy", "goldenrod", False)


def policy_algorithm(build: Callable[..., Policy], display: Optional[str] = None, color: Optional[str] = None,
                     calls: Callable[[SubmodularKnown], float] | float = 0.0) -> Algorithm:
    """A plugin algorithm of this paper, to register with ``ALGORITHMS.add(name, ...)`` (``examples/sensor_coverage.py``).

    Args:
      build: ``build(known, **hyperparameters) -> Policy``. ``known`` is the learner's view (``SubmodularKnown``:
        n, the matroid's ``blocks`` and ``caps``, the horizon, ``monotone``; never f_t or S*). The policy's ``select``
        returns the set it plays, a bool[n] mask (a base of the matroid in the monotone setting); its ``update``
        receives f_t itself, a pytree with ``value(mask)`` and ``multilinear(x)``. Its keyword arguments are the
        algorithm's hyperparameters (``experiment.hyperparameters.<name>.<key>``).
      display, color: how figures and tables show it.
      calls: the value-oracle calls it makes a round (a number, or a function of ``known``), stored as the
        ``oracle_calls`` metric beside the paper's algorithms'.
    Returns:
      an ``Algorithm`` that runs in both settings (a built-in one is refused where it does not apply).
    """
    import inspect

    def wrapped(known, **hyperparameters):
        return _counted(build(known, **hyperparameters), calls(known) if callable(calls) else calls)

    wrapped.__signature__ = inspect.signature(build)  # the hyperparameters the CLI checks
    wrapped.__doc__ = build.__doc__
    return Algorithm(wrapped, display=display, color=color)


def algorithms_for(monotone: bool) -> list[str]:
    return [a for a in ALGORITHMS.in_order() if SETTING.get(a, monotone) == monotone]


# ----------------------------------------------------------------------------- checks
def _names(spec, key: str, registry) -> list[str]:
    values = as_list(getattr(spec, key))
    if not values:
        raise ConfigError(f"experiment.{key} is empty; valid choices: {', '.join(registry.names())}")
    for v in values:
        if not isinstance(v, str) or v not in registry:
            raise ConfigError(f"unknown {registry.kind} {v!r} in experiment.{key}; valid choices: "
                              f"{', '.join(registry.names())}")
    return dedupe(values, f"experiment.{key}", _warn)


def _ints(spec, key: str, low: int) -> list[int]:
    values = as_list(getattr(spec, key))
    if not values:
        raise ConfigError(f"experiment.{key} is empty")
    return dedupe([strict_int(v, f"experiment.{key}", low) for v in values], f"experiment.{key}", _warn)


def _floats(spec, key: str, lo: float, hi: float, lo_open=False) -> list[float]:
    out = []
    for v in as_list(getattr(spec, key)):
        x = finite_float(v, f"experiment.{key}")
        if x > hi or x < lo or (lo_open and x == lo):
            raise ConfigError(f"experiment.{key} must be in {'(' if lo_open else '['}{lo:g}, {hi:g}], got {v!r}")
        out.append(x)
    if not out:
        raise ConfigError(f"experiment.{key} is empty")
    return dedupe(out, f"experiment.{key}", _warn)


def check(spec: SubmodularExperiment) -> None:
    families = _names(spec, "family", FAMILIES)
    _names(spec, "adversary", ADVERSARIES)
    for key, value in (spec.family_kwargs or {}).items():
        if key in KWARG_RANGES and not isinstance(value, bool):
            KWARG_RANGES[key].check(value, f"experiment.family_kwargs.{key}")
    monotone = {FAMILIES.get(f).monotone for f in families}
    if len(monotone) > 1:
        raise ConfigError("experiment.family mixes monotone and USM families; run them as separate presets "
                          f"(monotone: {', '.join(f for f in FAMILIES.names() if FAMILIES.get(f).monotone)})")
    monotone = monotone.pop()
    if spec.matroid not in MATROIDS:
        raise ConfigError(f"unknown matroid {spec.matroid!r}; valid choices: {', '.join(MATROIDS)}")
    if monotone and spec.matroid == "none":
        raise ConfigError("monotone families need a matroid; valid choices: uniform, partition")
    if not monotone and spec.matroid != "none":
        raise ConfigError(f"USM families are unconstrained: set experiment.matroid=none (got {spec.matroid!r})")
    ns = _ints(spec, "n", 1)
    if spec.matroid == "uniform":
        for k in _ints(spec, "k", 1):
            for n in ns:
                if k > n:
                    raise ConfigError(f"experiment.k = {k} exceeds experiment.n = {n}: the rank must be <= n")
    if spec.matroid == "partition":
        if not spec.caps:
            raise ConfigError("a partition matroid needs experiment.caps (one capacity per block)")
        caps = [strict_int(c, "experiment.caps", 1) for c in spec.caps]
        for n in ns:
            sizes = np.bincount(partition_blocks(n, len(caps)), minlength=len(caps))
            for b, (c, s) in enumerate(zip(caps, sizes)):
                if c > s:
                    raise ConfigError(f"experiment.caps[{b}] = {c} exceeds block {b}'s size {s} (n = {n}, "
                                      f"{len(caps)} contiguous blocks)")
    for algo in as_list(spec.algorithms):
        if algo in SETTING and SETTING[algo] != monotone:
            raise ConfigError(f"algorithm {algo!r} does not apply to {'monotone' if monotone else 'USM'} families; "
                              f"valid choices: {', '.join(algorithms_for(monotone))}")
    for algo, hp in (spec.hyperparameters or {}).items():
        if (algo.startswith("ocg") or algo == "meta_frank_wolfe") and hp and "L" in hp:
            L = hp["L"]
            if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
                raise ConfigError(f"experiment.hyperparameters.{algo}.L (number of learners) must be an integer "
                                  f">= 1, got {L!r}")
    _floats(spec, "q", 0.0, 1.0, lo_open=True)  # (non-empty; the schema bounds every entry)
    _floats(spec, "curvature", 0.0, 1.0)
    keep, amp = float(spec.keep), float(spec.amplitude)
    if keep - amp < 0 or keep + amp > 1:
        raise ConfigError(f"experiment.keep ± experiment.amplitude must stay in [0, 1], got {keep:g} ± {amp:g}")


# ----------------------------------------------------------------------------- problems
def _make_base(family_name: str, spec, n: int, c: float):
    fam = FAMILIES.get(family_name)
    key = jax.random.fold_in(jax.random.PRNGKey(spec.instance_seed), n)
    try:
        return fam.make(key, n, c, **dict(spec.family_kwargs or {}))
    except TypeError as e:
        raise ConfigError(f"bad experiment.family_kwargs for {family_name!r}: {e}") from None


def _range_check(family_name, fam, base, n, scale):
    """Values of the largest f_t (all components kept, active) on probe sets: outside [0, 1] -> ConfigError."""
    m = fam.components(base)
    f = Scaled(fam.apply(base, jnp.ones(m, jnp.float32)), jnp.asarray(scale, jnp.float32))
    rng = np.random.default_rng(0)
    probes = np.concatenate([np.zeros((1, n), bool), np.ones((1, n), bool), np.eye(n, dtype=bool),
                             rng.uniform(size=(64, n)) < 0.5])
    v = np.asarray(jax.vmap(f.value)(jnp.asarray(probes)), np.float64)
    bad = np.flatnonzero((v < -1e-6) | (v > 1 + 1e-6) | ~np.isfinite(v))
    if bad.size:
        raise ConfigError(f"function family {family_name!r} returns values outside [0, 1] (f(S) = {v[bad[0]]:.4g} "
                          f"on a probe set; values are never clipped): lower experiment.scale or fix its parameters")


def problems(spec: SubmodularExperiment):
    families = _names(spec, "family", FAMILIES)
    adversaries = _names(spec, "adversary", ADVERSARIES)
    monotone = FAMILIES.get(families[0]).monotone
    ns = _ints(spec, "n", 1)
    if spec.matroid == "uniform":
        ks = _ints(spec, "k", 1)
    elif spec.matroid == "partition":
        ks = [int(sum(spec.caps))]
    else:
        ks = [0]
    qs = _floats(spec, "q", 0.0, 1.0, lo_open=True)
    curvs = _floats(spec, "curvature", 0.0, 1.0)
    horizon = int(spec.horizon)
    out = {}
    for family in families:
        fam = FAMILIES.get(family)
        for adv_name in adversaries:
            adv = ADVERSARIES.get(adv_name)
            for n in ns:
                for c in (curvs if family == "concave_modular" else [float("nan")]):
                    base = _make_base(family, spec, n, 0.0 if math.isnan(c) else c)
                    _range_check(family, fam, base, n, spec.scale)
                    m = int(fam.components(base))
                    rng = np.random.default_rng([spec.instance_seed, n, m])
                    for k in ks:
                        for q in (qs if adv.uses_q else [1.0]):
                            p = _problem(spec, family, fam, adv_name, adv, base, n, k, q, c, m, rng, horizon,
                                         monotone)
                            out.setdefault(p.label, p)
    return list(out.values())


def _problem(spec, family, fam, adv_name, adv, base, n, k, q, c, m, rng, horizon, monotone):
    F = _float()
    base = jax.tree.map(lambda x: x.astype(F) if jnp.issubdtype(x.dtype, jnp.floating) else x, base)
    sign = np.where(np.arange(m) < m // 2, 1.0, -1.0)
    rng.shuffle(sign)
    advp = AdvParams(keep=jnp.asarray(spec.keep, F), amplitude=jnp.asarray(spec.amplitude, F),
                     sign=jnp.asarray(sign, F), phase=jnp.asarray(rng.uniform(0, 2 * np.pi, m), F),
                     period=jnp.asarray(spec.period, F), q=jnp.asarray(q, F))
    pbar = jnp.asarray(mean_keep(adv, advp, horizon), F)
    expected = Scaled(fam.apply(base, pbar), jnp.asarray(spec.scale, F))  # per-round expected f, up to the factor q
    stack = jax.tree.map(lambda x: jnp.asarray(x)[None], expected)
    values = cmp.summed_values(stack)
    if monotone:
        if spec.matroid == "uniform":
            blocks, caps = np.zeros(n, np.int32), np.array([k], np.int32)
        else:
            caps = np.asarray(spec.caps, np.int32)
            blocks = partition_blocks(n, len(caps))
        matroid = cmp.Matroid.partition(blocks, caps)
    else:
        blocks, caps, matroid = np.zeros(0, np.int32), np.zeros(0, np.int32), None
    if n <= spec.exact_up_to:
        best = cmp.brute_force(values, n, matroid)
        comparator = "exact (brute force)"
    else:
        best = cmp.best_found(values, n, matroid, seed=spec.instance_seed) if n > cmp.BRUTE_FORCE_MAX_N else \
            _heuristic(values, n, matroid, spec.instance_seed)
        comparator = f"best found ({best.method})"
    opt_mask = np.asarray(best.mask, bool)
    if monotone:
        curv = float(fn.curvature_at(expected, n, jnp.asarray(opt_mask)))
        curv = min(max(curv, 0.0), 1.0)
        alpha = 1.0 - curv / math.e
    else:
        curv, alpha = float("nan"), 0.5
    params = SubParams(base=base, adv=advp, scale=jnp.asarray(spec.scale, F), alpha=jnp.asarray(alpha, F),
                       opt_mask=jnp.asarray(opt_mask))
    env = environment(fam, adv, blocks, caps)
    known = SubmodularKnown(n=n, blocks=tuple(int(b) for b in blocks), caps=tuple(int(x) for x in caps),
                            horizon=horizon, monotone=monotone, observation=_observation_shape(env, params, n))
    label = f"{family} {adv_name} n={n}" + (f" k={k}" if monotone else "") + (f" q={q:g}" if adv.uses_q else "") + \
        (f" c={c:g}" if family == "concave_modular" else "")
    columns = {"family": family, "adversary": adv_name, "setting": "monotone" if monotone else "usm",
               "matroid": spec.matroid, "n": n, "k": k, "q": q, "curvature_param": -1.0 if math.isnan(c) else c, "curvature_at_opt": -1.0 if math.isnan(curv) else curv,
               "alpha": alpha, "comparator": comparator, "opt_per_round": float(q * best.value),
               "components": m, "keep": float(spec.keep)}
    return Problem(label=label, columns=columns, known=known, env=env, params=params,
                   oracle=(jnp.asarray(opt_mask), jnp.asarray(best.value, F)))


def _observation_shape(env, params, n: int):
    """The structure (jax.ShapeDtypeStruct leaves, no values) of what ``env.step`` reveals: f_t's pytree."""

    def reveal(params):
        key = jax.random.PRNGKey(0)
        noise = jax.tree.map(lambda x: x[0], env.sample(key, 1, params))
        act = Act(mask=jnp.zeros(n, bool), calls=jnp.zeros((), _float()), inner=None)
        return env.step(noise, env.reset(key, params), act, params)[1]

    return jax.eval_shape(reveal, params)


def _heuristic(values, n, matroid, seed):
    """Best found below the brute-force limit (experiment.exact_up_to < n <= 20): the heuristics of best_found."""
    if matroid is not None:
        g = cmp.greedy(values, n, matroid)
        return max([g, cmp.matroid_local_search(values, n, matroid, start=g.mask)], key=lambda b: b.value)
    r = np.random.default_rng(seed)
    cands = [cmp.double_greedy(values, n), cmp.usm_local_search(values, n)]
    cands += [cmp.double_greedy(values, n, r.uniform(size=n)) for _ in range(16)]
    return max(cands, key=lambda b: b.value)


# ----------------------------------------------------------------------------- registration
def _example_spec(**kw):
    base = dict(name="example", paper="submodular", algorithms=[], horizon=300, seeds=1)
    return SubmodularExperiment(**{**base, **kw})


def example():
    """A small monotone problem for the core's contract test. Every algorithm builds on it (the USM ones play
    unconstrained sets of its ground set: the contract's properties do not depend on the setting), so its
    environment checks plays without the matroid (a boolean mask of the n elements, finite calls); presets
    never mix settings (``check``) and check the matroid. ``example_usm`` is the USM counterpart
    (tests/test_submodular_cli.py)."""
    spec = _example_spec(family="coverage", n=6, matroid="uniform", k=2, adversary="sparse", q=0.7)
    problem = problems(spec)[0]
    problem = problem._replace(env=problem.env._replace(validate=act_check()))
    return problem, {"ocg": {"L": 4}, "ocg_fixed": {"L": 4}, "ocg_no_decomposition": {"L": 4}}


def example_usm():
    spec = _example_spec(family="er_cut", n=6, matroid="none", adversary="switching", period=20)
    return problems(spec)[0], {}


PAPER = PAPERS.add("submodular", Paper(
    name="submodular",
    title="Online submodular maximisation via first-order regret bounds (Harvey, Liaw, Soma, NeurIPS 2020)",
    schema=SubmodularExperiment,
    algorithms=ALGORITHMS,
    problems=problems,
    check=check,
    analysis="experiments.submodular.analysis:report",
    id_columns=("family", "adversary", "setting", "matroid", "n", "k", "q", "curvature_param", "curvature_at_opt",
                "alpha", "comparator", "opt_per_round", "components", "keep"),
    reference="ocg",
    example=example,
))
